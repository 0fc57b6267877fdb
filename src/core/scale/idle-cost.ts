// How often an idle cluster talks to itself, as a function of its size (issue 16: cheap backends).
//
// Every backend is dialled by the registry's TCP check, asks the registry whether it is still
// registered, and reports its load to the LB. At 1 s and 500 ms with 64 backends that is 64
// dials, 64 HTTP calls and 128 gRPC calls a second when nothing happens. The supervisor sees a
// backend's exit at once and tells the LB (DESIGN.md, Processes), so the TCP check is a backstop
// for a backend that hangs or a registry that lost it; it can be slower in a big cluster. Load
// reports carry news only while something changes: an idle backend sends a heartbeat instead.

/** Up to this many backends, the checks run at the base interval (a small lab stays as quick to notice as before). */
export const CHECKS_AT_BASE_INTERVAL_UP_TO = 8;
/** Consul's usual interval, and the slowest lbx scales to. */
export const MAX_SCALED_CHECK_INTERVAL_MS = 10_000;
/** An idle backend's load report goes out at least this often: the LB's NOT_FOUND answer still reaches it (a restarted LB). */
export const IDLE_HEARTBEAT_MS = 5_000;
/** A load report stands for the backend's load until the next one; silent for longer than this, the backend was down (a heartbeat and a half). */
export const REPORT_HOLD_MS = (IDLE_HEARTBEAT_MS * 3) / 2;

/**
 * The registry check (and keep-registered) interval for a cluster of `backends`: `baseMs` up to 8
 * backends, then growing with the cluster so the whole cluster does about 8 checks a base
 * interval, up to 10 s (64 backends at 1 s: 8 s; 256: 10 s). Never below `baseMs`.
 */
export function scaledCheckIntervalMs(baseMs: number, backends: number): number {
  const scaled = Math.round((baseMs * backends) / CHECKS_AT_BASE_INTERVAL_UP_TO);
  return Math.max(baseMs, Math.min(MAX_SCALED_CHECK_INTERVAL_MS, scaled));
}

/** The figures of a load report that say whether anything happened since the last one. */
export interface ActivityFigures {
  readonly inFlight: number;
  readonly queueDepth: number;
  readonly servedSimple: number;
  readonly servedHeavy: number;
}

/**
 * Whether a load report is due at this tick: always while work is in flight or queued (the LB
 * expires a report after 3 intervals, and a busy backend's figures must stay fresh), when the
 * served totals moved, and otherwise once a heartbeat. An idle backend's report says in flight 0,
 * and a stale report counts as 0 too, so skipping it changes no pick.
 */
export function isReportDue(last: ActivityFigures | undefined, now: ActivityFigures, sinceLastMs: number, heartbeatMs: number): boolean {
  if (last === undefined || sinceLastMs >= heartbeatMs) return true;
  if (now.inFlight > 0 || now.queueDepth > 0 || last.inFlight > 0 || last.queueDepth > 0) return true;
  return now.servedSimple !== last.servedSimple || now.servedHeavy !== last.servedHeavy;
}
