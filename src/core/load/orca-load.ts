// What an lbx backend tells ORCA clients about its load (xds.data.orca.v3.OrcaLoadReport), from one window of its
// own counters. gRPC's weighted_round_robin weighs an endpoint by rps_fractional / application_utilization, so
// application_utilization must grow with the work a call costs: it is the share of one core the backend's tasks'
// work takes (work units run × the calibrated cost of a unit, per second). The weight is then calls per second of
// work: a backend a quarter as fast, or doing four times the work per call, gets a quarter of the weight, whatever
// share it is given. Whole-process CPU (cpu_utilization, also reported) would not do: its fixed part (timers,
// reports, idle) is spread over more calls the more a backend gets, so a busier backend looks cheaper per call,
// gets a larger weight, and a run drifts (measured: 58 → 97 calls per CPU-second on one backend as its share grew,
// against a steady 40 under equal shares). Nor would CPU time spent on the work itself: V8 optimises the same
// loop differently in different processes (0.2–0.6 ms per unit measured), so equal backends would differ.
// A window of SIMPLE calls only has no work: utilisation 0, which gRPC reads as no weight (the mean is used).

/** The interval a client gets when it asks for none (ORCA leaves the default to the server). */
export const DEFAULT_ORCA_INTERVAL_MS = 1_000;
/** Shorter requests are raised to this, as gRPC servers do: a report costs a CPU sample and a message. */
export const MIN_ORCA_INTERVAL_MS = 250;
/** Longer requests are lowered to this: weights older than a minute describe another load. */
export const MAX_ORCA_INTERVAL_MS = 60_000;

export type OrcaInterval = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly message: string };

/** The report interval for a request's report_interval (undefined or 0: the default), or why it is refused. */
export function orcaInterval(requestedMs: number | undefined): OrcaInterval {
  if (requestedMs === undefined || requestedMs === 0) return { ok: true, ms: DEFAULT_ORCA_INTERVAL_MS };
  if (!Number.isFinite(requestedMs) || requestedMs < 0) return { ok: false, message: `report_interval ${requestedMs} ms: expected a duration of 0 or more` };
  return { ok: true, ms: Math.min(MAX_ORCA_INTERVAL_MS, Math.max(MIN_ORCA_INTERVAL_MS, requestedMs)) };
}

/** The backend's counters between two reports. */
export interface OrcaWindow {
  readonly wallMs: number;
  /** CPU time the process used (user + system). */
  readonly cpuMicros: number;
  /** Tasks' work in the window, at the calibrated cost of a work unit. */
  readonly workMs: number;
  /** Calls answered, and calls that ended in an error, in the window. */
  readonly answered: number;
  readonly errors: number;
  /** Cores on the machine: cpu_utilization is the machine's share, as ORCA defines it. */
  readonly cores: number;
  readonly rssBytes: number;
  readonly totalMemoryBytes: number;
  readonly inFlight: number;
  readonly queueDepth: number;
}

export interface OrcaFigures {
  readonly cpuUtilization: number;
  readonly applicationUtilization: number;
  readonly memUtilization: number;
  readonly rpsFractional: number;
  readonly eps: number;
  readonly namedMetrics: Readonly<Record<string, number>>;
}

const clampUnit = (value: number): number => Math.min(1, Math.max(0, value));

export function orcaFigures(window: OrcaWindow): OrcaFigures {
  const seconds = window.wallMs / 1_000;
  const share = (ms: number): number => (window.wallMs <= 0 ? 0 : Math.max(0, ms / window.wallMs));
  return {
    cpuUtilization: clampUnit(share(window.cpuMicros / 1_000) / Math.max(1, window.cores)),
    applicationUtilization: share(window.workMs),
    memUtilization: window.totalMemoryBytes <= 0 ? 0 : clampUnit(window.rssBytes / window.totalMemoryBytes),
    rpsFractional: seconds <= 0 ? 0 : Math.max(0, window.answered) / seconds,
    eps: seconds <= 0 ? 0 : Math.max(0, window.errors) / seconds,
    namedMetrics: { in_flight: window.inFlight, queue_depth: window.queueDepth },
  };
}
