// A backend's gray failure: what `lbx fault` sets, checked, described, and decided call by call.
//
// Latency, errors and hangs are drawn independently per call, in that order of precedence (a hung call
// is never also an error), from a random source the caller passes, so a seeded test can replay them.

/** gRPC status codes by the names users type (lower case), the ones an error fault may answer with. */
export const FAULT_ERROR_CODES: Readonly<Record<string, number>> = {
  cancelled: 1,
  unknown: 2,
  deadline_exceeded: 4,
  resource_exhausted: 8,
  aborted: 10,
  internal: 13,
  unavailable: 14,
};
export const DEFAULT_FAULT_ERROR_CODE = FAULT_ERROR_CODES['unavailable']!;

/** Bounds: an hour of latency or duration is already a dead backend; a slowdown beyond 100 is one too. */
export const MAX_FAULT_LATENCY_MS = 60_000;
export const MAX_FAULT_DURATION_MS = 24 * 3_600_000;
export const MAX_SLOWDOWN = 100;

export interface FaultSpec {
  readonly latencyMs: number;
  readonly jitterMs: number;
  /** With a latency, makes it log-normal: median latencyMs, 99th percentile latencyP99Ms. 0 = not log-normal. */
  readonly latencyP99Ms: number;
  readonly errorRate: number;
  readonly errorCode: number;
  readonly hangRate: number;
  /** 1 = none. */
  readonly slowdown: number;
  /** 0 = until cleared. */
  readonly durationMs: number;
}

export const NO_FAULT: FaultSpec = { latencyMs: 0, jitterMs: 0, latencyP99Ms: 0, errorRate: 0, errorCode: DEFAULT_FAULT_ERROR_CODE, hangRate: 0, slowdown: 1, durationMs: 0 };

export type FaultCheck = { readonly ok: true; readonly fault: FaultSpec } | { readonly ok: false; readonly message: string };

const isIn = (value: number, min: number, max: number): boolean => Number.isFinite(value) && value >= min && value <= max;

/** Checks a fault from the wire or the CLI; the message names the field, its value and what is expected. */
export function checkFault(fault: FaultSpec): FaultCheck {
  const problems: string[] = [];
  const expect = (name: string, value: number, min: number, max: number, unit = ''): void => {
    if (!isIn(value, min, max)) problems.push(`${name} ${value}${unit}: expected ${min}${unit}–${max}${unit}`);
  };
  expect('latency', fault.latencyMs, 0, MAX_FAULT_LATENCY_MS, ' ms');
  expect('jitter', fault.jitterMs, 0, MAX_FAULT_LATENCY_MS, ' ms');
  expect('latency p99', fault.latencyP99Ms, 0, MAX_FAULT_LATENCY_MS, ' ms');
  expect('error rate', fault.errorRate, 0, 1);
  expect('hang rate', fault.hangRate, 0, 1);
  expect('slowdown', fault.slowdown, 1, MAX_SLOWDOWN);
  expect('duration', fault.durationMs, 0, MAX_FAULT_DURATION_MS, ' ms');
  if (!Object.values(FAULT_ERROR_CODES).includes(fault.errorCode)) {
    problems.push(
      `error code ${fault.errorCode}: expected one of ${Object.entries(FAULT_ERROR_CODES)
        .map(([name, code]) => `${code} (${name})`)
        .join(', ')}`,
    );
  }
  if (fault.latencyP99Ms > 0 && !(fault.latencyMs > 0 && fault.latencyP99Ms > fault.latencyMs)) {
    problems.push(`latency p99 ${fault.latencyP99Ms} ms: needs a median latency below it (got ${fault.latencyMs} ms)`);
  }
  if (fault.latencyP99Ms > 0 && fault.jitterMs > 0) problems.push('jitter and latency p99 describe two different distributions: give one');
  if (fault.errorRate + fault.hangRate > 1) problems.push(`error rate ${fault.errorRate} + hang rate ${fault.hangRate} exceed 1`);
  return problems.length === 0 ? { ok: true, fault } : { ok: false, message: problems.join('; ') };
}

export const isNoFault = (fault: FaultSpec): boolean => fault.latencyMs === 0 && fault.errorRate === 0 && fault.hangRate === 0 && fault.slowdown === 1;

const percent = (rate: number): string => `${Number((rate * 100).toFixed(3))}%`;
const codeName = (code: number): string =>
  Object.entries(FAULT_ERROR_CODES)
    .find(([, value]) => value === code)?.[0]
    .toUpperCase() ?? String(code);

/** One line a person reads: "latency 50ms (log-normal, p99 400ms), 5% UNAVAILABLE, 1% hang, slowdown ×4, for 30s". */
export function describeFault(fault: FaultSpec): string {
  if (isNoFault(fault)) return 'none';
  const parts: string[] = [];
  if (fault.latencyMs > 0) {
    const shape = fault.latencyP99Ms > 0 ? ` (log-normal, p99 ${fault.latencyP99Ms}ms)` : fault.jitterMs > 0 ? ` ± ${fault.jitterMs}ms` : '';
    parts.push(`latency ${fault.latencyMs}ms${shape}`);
  }
  if (fault.errorRate > 0) parts.push(`${percent(fault.errorRate)} ${codeName(fault.errorCode)}`);
  if (fault.hangRate > 0) parts.push(`${percent(fault.hangRate)} hang`);
  if (fault.slowdown !== 1) parts.push(`slowdown ×${fault.slowdown}`);
  if (fault.durationMs > 0) parts.push(`for ${fault.durationMs / 1_000}s`);
  return parts.join(', ');
}

/** The standard normal quantile at 0.99: a log-normal's p99 is median × exp(Z99 × sigma). */
const Z99 = 2.326_347_874;

/** A standard normal draw (Box–Muller) from a uniform source. */
function standardNormal(random: () => number): number {
  const u = Math.max(Number.MIN_VALUE, random());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** The added latency for one call, in ms (never negative, never above the bound). */
export function sampleLatencyMs(fault: FaultSpec, random: () => number): number {
  if (fault.latencyMs <= 0) return 0;
  let value = fault.latencyMs;
  if (fault.latencyP99Ms > 0) value = fault.latencyMs * Math.exp((Math.log(fault.latencyP99Ms / fault.latencyMs) / Z99) * standardNormal(random));
  else if (fault.jitterMs > 0) value = fault.latencyMs + (random() * 2 - 1) * fault.jitterMs;
  return Math.min(MAX_FAULT_LATENCY_MS, Math.max(0, value));
}

export type FaultDecision =
  | { readonly kind: 'hang' }
  | { readonly kind: 'error'; readonly code: number; readonly message: string }
  | { readonly kind: 'serve'; readonly delayMs: number; readonly slowdown: number };

/** What happens to one call under a fault. */
export function decideFault(fault: FaultSpec, random: () => number): FaultDecision {
  const draw = random();
  if (draw < fault.hangRate) return { kind: 'hang' };
  if (draw < fault.hangRate + fault.errorRate) {
    return { kind: 'error', code: fault.errorCode, message: `injected fault: ${codeName(fault.errorCode)} (lbx fault, error rate ${percent(fault.errorRate)})` };
  }
  return { kind: 'serve', delayMs: sampleLatencyMs(fault, random), slowdown: fault.slowdown };
}
