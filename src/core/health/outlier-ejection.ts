// Outlier ejection: a backend whose calls keep failing is left out of picks for a while.
//
// Modelled on Envoy's outlier detection (envoyproxy/envoy, "Outlier detection" in the
// architecture overview; source/common/upstream/outlier_detection_impl.cc): its
// consecutive-failure detector with consecutive_5xx = 3, base_ejection_time = 1 s,
// max_ejection_time = 30 s, and max_ejection_percent = 50. As there, an ejected backend
// is out for base × (times ejected so far), and comes back by itself when that has passed.
// Only the failure count and the ejection clock live here; the Balancer decides whether
// the cap allows an ejection and rebuilds the picker.

/** Failures in a row, with no success between, that eject a backend. */
export const CONSECUTIVE_FAILURES_TO_EJECT = 3;
/** The first ejection's length; the n-th lasts n times this. */
export const BASE_EJECTION_MS = 1_000;
export const MAX_EJECTION_MS = 30_000;
/** Envoy's max_ejection_percent: at most this share of the serving backends is out at once. */
export const MAX_EJECTED_PERCENT = 50;

const GRPC_UNKNOWN = 2;
const GRPC_UNIMPLEMENTED = 12;
const GRPC_INTERNAL = 13;
const GRPC_UNAVAILABLE = 14;
const GRPC_DATA_LOSS = 15;
/** UNAUTHENTICATED, the highest code gRPC defines. */
const MAX_GRPC_CODE = 16;

/**
 * Codes that say the backend itself is broken: down, crashed mid-call, answering garbage, or
 * not an lbx backend at all (UNIMPLEMENTED: whatever listens there does not serve ProcessTask).
 * DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT and the rest neither
 * count nor reset the count: a slow or busy backend is the latency-aware policies' business
 * (least-load, peak EWMA), and a bad request or a caller giving up says nothing about it.
 */
const BROKEN_BACKEND_CODES: ReadonlySet<number> = new Set([GRPC_UNKNOWN, GRPC_UNIMPLEMENTED, GRPC_INTERNAL, GRPC_UNAVAILABLE, GRPC_DATA_LOSS]);

/** What one call's outcome says about its backend. */
export type OutcomeVerdict = 'success' | 'failure' | 'neutral';

/**
 * Judges one outcome. `ok` wins over the code (a client that says ok is believed). A failure
 * whose code is no gRPC code (above 16, fractional) or says OK (0: a client that did not
 * send one) is taken as UNKNOWN, so it counts: the caller says the call failed and gives no
 * reason to excuse the backend.
 */
export function judgeOutcome(ok: boolean, statusCode: number): OutcomeVerdict {
  if (ok) return 'success';
  const isGrpcCode = Number.isInteger(statusCode) && statusCode > 0 && statusCode <= MAX_GRPC_CODE;
  const code = isGrpcCode ? statusCode : GRPC_UNKNOWN;
  return BROKEN_BACKEND_CODES.has(code) ? 'failure' : 'neutral';
}

/** How long the `ejectionNumber`-th ejection (1 for the first) lasts. */
export function ejectionMs(ejectionNumber: number): number {
  return Math.min(MAX_EJECTION_MS, BASE_EJECTION_MS * Math.max(1, ejectionNumber));
}

/**
 * Whether one more backend may be ejected when `ejectedNow` of `serving` already are. Stricter
 * than Envoy, which checks the share before ejecting and so may end one over it (and ejects
 * the only backend of one): here the share after the ejection must stay within the cap, so a
 * lone backend is never ejected and traffic always has somewhere to go.
 */
export function mayEject(ejectedNow: number, serving: number): boolean {
  return (ejectedNow + 1) * 100 <= serving * MAX_EJECTED_PERCENT;
}

/** The largest number of `serving` backends that may be ejected at once. */
export function maxEjected(serving: number): number {
  return Math.floor((serving * MAX_EJECTED_PERCENT) / 100);
}

/** One backend's failure count and ejection state. */
export class OutlierRecord {
  consecutiveFailures = 0;
  /** Every failed outcome reported, counting or not; for stats. */
  failuresReported = 0;
  /** Times ejected so far; lengthens each next ejection. */
  ejections = 0;
  /** Monotonic ms when the current ejection ends; undefined while not ejected. */
  ejectedUntilMs: number | undefined = undefined;
  /** True while the LB checks for itself what one client's failure reports claim (see Balancer.recordOutcome). */
  isProbing = false;
  /** Who reported the failures of the current run (at most two kept: only "more than one" matters). */
  private readonly reporters = new Set<string>();

  get isEjected(): boolean {
    return this.ejectedUntilMs !== undefined;
  }

  /**
   * Counts one outcome; true when the backend has now reached the ejection threshold (the
   * caller ejects it if the cap allows). While ejected, failures are only tallied: the
   * backend gets a fresh count when it returns.
   */
  record(ok: boolean, statusCode: number, reporter?: string): boolean {
    if (!ok) this.failuresReported += 1;
    if (this.isEjected) return false;
    const verdict = judgeOutcome(ok, statusCode);
    if (verdict === 'success') this.resetRun();
    else if (verdict === 'failure') {
      this.consecutiveFailures += 1;
      if (reporter !== undefined && this.reporters.size < 2) this.reporters.add(reporter);
    }
    return verdict === 'failure' && this.consecutiveFailures >= CONSECUTIVE_FAILURES_TO_EJECT;
  }

  /** Whether the failures of the current run came from more than one reporter. */
  get hasSeveralReporters(): boolean {
    return this.reporters.size > 1;
  }

  /** The failures were not borne out (a probe found the backend healthy): a fresh count. */
  resetRun(): void {
    this.consecutiveFailures = 0;
    // Every success lands here. V8's clear() allocates a new table even for an empty set: it was a sixth of the LB's
    // JavaScript per pick (issue 14), for a set that is almost always empty.
    if (this.reporters.size > 0) this.reporters.clear();
  }

  /** Ejects from `nowMs`; returns how long for. */
  eject(nowMs: number): number {
    this.ejections += 1;
    const forMs = ejectionMs(this.ejections);
    this.ejectedUntilMs = nowMs + forMs;
    return forMs;
  }

  isDueBack(nowMs: number): boolean {
    return this.ejectedUntilMs !== undefined && this.ejectedUntilMs <= nowMs;
  }

  /** Back in (expired, or the backend left or rejoined): a fresh count, history kept. */
  release(): void {
    this.ejectedUntilMs = undefined;
    this.resetRun();
  }
}
