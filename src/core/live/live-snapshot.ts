// What the live view shows, and how two consecutive samples of a cluster become per-second rates and shares (pure).

/** serving: answered GetLoad just now · unreachable: running but did not answer · starting: not ready yet · exited: gone (crashed or killed). */
export type LiveHealth = 'serving' | 'unreachable' | 'starting' | 'exited';

/** One backend as sampled at one refresh. */
export interface BackendSample {
  readonly name: string;
  readonly address: string;
  readonly health: LiveHealth;
  readonly inFlight: number;
  readonly queueDepth: number;
  /** Tasks it served in its life (simple + heavy); from GetLoad, or the LB's last report when it did not answer. */
  readonly served: number;
  /** True when `served` came from the backend just now; a stale figure gives no rate (it would spike the next one). */
  readonly servedIsLive: boolean;
  /** Ejected by the LB's outlier detection right now. */
  readonly ejected: boolean;
}

/** One refresh's raw figures: counters, not rates. */
export interface LiveSample {
  /** Monotonic clock, for rates. */
  readonly atMs: number;
  /** Wall clock, for the plain lines' time stamps. */
  readonly atUnixMs: number;
  readonly cluster: string;
  readonly policy: string;
  readonly lbAddress: string;
  readonly lbReachable: boolean;
  /** The LB's picks since it started. */
  readonly picks: number;
  readonly backends: readonly BackendSample[];
}

export interface BackendSnapshot extends BackendSample {
  /** Requests served per second since the previous refresh; undefined on the first one. */
  readonly requestsPerSecond: number | undefined;
  /** Its share of the requests served in the window since the previous refresh; undefined when none was served or on the first one. */
  readonly windowShare: number | undefined;
  /** Its share of everything the listed backends served; undefined when they served nothing. */
  readonly overallShare: number | undefined;
}

export interface LiveSnapshot {
  readonly atUnixMs: number;
  readonly cluster: string;
  readonly policy: string;
  readonly lbAddress: string;
  readonly lbReachable: boolean;
  readonly picks: number;
  /** Undefined on the first refresh. */
  readonly picksPerSecond: number | undefined;
  /** Time since the previous refresh; undefined on the first one. */
  readonly windowMs: number | undefined;
  readonly backends: readonly BackendSnapshot[];
}

/** Turns a sample into rates and shares against the previous one (undefined for the first refresh). */
export function toLiveSnapshot(previous: LiveSample | undefined, current: LiveSample): LiveSnapshot {
  const windowMs = previous === undefined ? undefined : current.atMs - previous.atMs;
  const perSecond = (delta: number): number | undefined => (windowMs === undefined || windowMs <= 0 ? undefined : (delta * 1_000) / windowMs);
  const previousServed = new Map((previous?.backends ?? []).filter((backend) => backend.servedIsLive).map((backend) => [backend.address, backend.served]));
  // A rate needs two live figures: a backend that did not answer (now or the time before) gets none, rather than
  // a window credited with its whole life. One that joined since the previous refresh counts from zero, and one
  // whose counter went back (a backend without a counts file restarted) counts from its new start.
  const deltas = current.backends.map((backend): number | undefined => {
    if (!backend.servedIsLive) return undefined;
    const before =
      previous === undefined ? undefined : (previousServed.get(backend.address) ?? (previous.backends.some((entry) => entry.address === backend.address) ? undefined : 0));
    if (before === undefined) return undefined;
    return backend.served >= before ? backend.served - before : backend.served;
  });
  const windowTotal = deltas.reduce<number>((sum, delta) => sum + (delta ?? 0), 0);
  const overallTotal = current.backends.reduce((sum, backend) => sum + backend.served, 0);
  const picksDelta = previous?.lbReachable && current.lbReachable ? Math.max(0, current.picks - previous.picks) : undefined;
  return {
    atUnixMs: current.atUnixMs,
    cluster: current.cluster,
    policy: current.policy,
    lbAddress: current.lbAddress,
    lbReachable: current.lbReachable,
    picks: current.picks,
    picksPerSecond: picksDelta === undefined ? undefined : perSecond(picksDelta),
    windowMs,
    backends: current.backends.map((backend, index) => ({
      ...backend,
      requestsPerSecond: deltas[index] === undefined ? undefined : perSecond(deltas[index] ?? 0),
      windowShare: windowMs === undefined || windowTotal === 0 || deltas[index] === undefined ? undefined : (deltas[index] ?? 0) / windowTotal,
      overallShare: overallTotal === 0 ? undefined : backend.served / overallTotal,
    })),
  };
}
