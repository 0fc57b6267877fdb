// The live load of one backend as the LB sees it, and its score: the one definition of "least load" in lbx.
//
// score(now) = (last report's in-flight count, if the report is fresh) + assignments made since that report.
//
// Why this cannot herd: the systems lbx is modelled on used a cumulative request count as
// "load" and only learned about it from periodic reports. Between two reports every backend's
// figure stood still, so every request in that window went to the same "least loaded" backend,
// which then looked heaviest at the next report while another took the whole next window.
// Here the LB records each assignment the moment it makes it, so the chosen backend's score
// rises at once and the next pick already sees it: a burst spreads evenly even if no report
// arrives. The report contributes a current figure (requests in flight now), never a lifetime
// total, so past work does not penalise a backend forever.
//
// Staleness: a report older than staleAfterMs no longer says anything about "now", so its
// in-flight figure is dropped. The assignments made since it keep counting, though, so a
// backend that stops reporting is gradually avoided rather than trusted or dropped outright.
//
// Proxy mode: when the LB forwards a request itself it calls callStarted() and callEnded(),
// so it knows the exact number in flight; inFlight() prefers that count over the score.
// Look-aside clients on GetServerStream report each task's end on their next pick, which
// gives the LB the same exact count (see src/runtime/lb/pick-tracker.ts).
//
// Latency: a decaying peak EWMA, as in Finagle's PeakEwma and Linkerd's (tower's) balancer.
// A sample above the estimate replaces it at once, so a backend that turns slow is avoided
// at once; a sample below pulls the estimate down only as fast as time passes, with weight
// w = exp(-Δt/τ) on the old value. Reading the estimate decays it towards 0 by the same
// weight (Finagle's get() observes a zero latency), so a backend that went slow and then got
// no traffic is tried again eventually instead of being shunned forever.
//
// Watching: least_load and least_connections keep their backends in an index ordered by score
// instead of scanning all of them on every pick (see least-score-picker.ts). So that the index
// stays exact, a BackendLoad tells one watcher whenever a figure that score() or inFlight()
// reads changes. One slot, not a list: pickers are rebuilt on every membership change and only
// the newest is used, so each new picker takes the slot over and the one it replaces is told,
// falls back to scanning, and stops being called (no list of dead pickers to grow: a load
// refers to one picker at most).

import { LbxError } from '../lbx-error.js';

/** One load report from a backend; figures are "now" unless named otherwise. */
export interface LoadSample {
  inFlight: number;
  queueDepth: number;
  cpuPercent: number;
  servedSimple: number;
  servedHeavy: number;
  recentLatencyMs: number;
  rssBytes: number;
}

/** Three times the default 500 ms report interval: two reports may be lost before a figure is dropped. */
export const DEFAULT_STALE_AFTER_MS = 1_500;

/**
 * τ of the latency EWMA: Linkerd's default decay window. Long enough that one fast request
 * does not erase a slow spell (after a 1 ms gap a lower sample moves the estimate by 0.01%),
 * short enough that a backend that recovered is trusted again within tens of seconds.
 */
export const DEFAULT_EWMA_DECAY_MS = 10_000;

export interface BackendLoadOptions {
  /** A report older than this no longer counts towards the score. */
  staleAfterMs?: number;
  /** τ of the latency EWMA (see DEFAULT_EWMA_DECAY_MS). */
  ewmaDecayMs?: number;
}

/** Told when a BackendLoad's figures change (see watch()); a picker's index implements it. */
export interface LoadWatcher {
  /** The load watched under `slot` changed in a way that may move score() or inFlight(). */
  loadChanged(slot: number): void;
  /** Another watcher took this load over: this one hears nothing more from it. */
  unwatched(): void;
}

export class BackendLoad {
  readonly staleAfterMs: number;
  readonly ewmaDecayMs: number;
  #assignedTotal = 0;
  #assignedSinceReport = 0;
  #lastReport: LoadSample | undefined;
  #lastReportAtMs: number | undefined;
  #inFlightExact = 0;
  #hasTrackedCalls = false;
  /** The latency estimate as of #latencyAtMs; undefined until the first sample. */
  #latencyEstimateMs: number | undefined;
  #latencyAtMs = 0;
  #watcher: LoadWatcher | undefined;
  #watchSlot = 0;

  constructor(options: BackendLoadOptions = {}) {
    this.staleAfterMs = positiveMs('staleAfterMs', options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
    this.ewmaDecayMs = positiveMs('ewmaDecayMs', options.ewmaDecayMs ?? DEFAULT_EWMA_DECAY_MS);
  }

  /** The LB just assigned one request to this backend. */
  recordAssignment(): void {
    this.#assignedTotal += 1;
    this.#assignedSinceReport += 1;
    this.#watcher?.loadChanged(this.#watchSlot);
  }

  /** Requests assigned over this backend's lifetime (for reports; never part of the score). */
  get assignedTotal(): number {
    return this.#assignedTotal;
  }

  /** A fresh report; the assignments made before it are now part of its in-flight figure. */
  recordReport(sample: LoadSample, nowMs: number): void {
    this.#lastReport = { ...sample };
    this.#lastReportAtMs = nowMs;
    this.#assignedSinceReport = 0;
    this.#watcher?.loadChanged(this.#watchSlot);
    // 0 means the backend served nothing recently: no news about its speed, not "instant".
    if (sample.recentLatencyMs > 0) this.recordLatency(sample.recentLatencyMs, nowMs);
  }

  get lastReport(): LoadSample | undefined {
    return this.#lastReport;
  }

  /** When the last report was recorded (the nowMs given to recordReport); undefined until the first. */
  get lastReportAtMs(): number | undefined {
    return this.#lastReportAtMs;
  }

  /** Undefined until the first report; never negative, should a caller's clock lag the report's. */
  lastReportAgeMs(nowMs: number): number | undefined {
    return this.#lastReportAtMs === undefined ? undefined : Math.max(0, nowMs - this.#lastReportAtMs);
  }

  isReportFresh(nowMs: number): boolean {
    const ageMs = this.lastReportAgeMs(nowMs);
    return ageMs !== undefined && ageMs <= this.staleAfterMs;
  }

  /** Lower is less loaded; see the header for why it is built this way. */
  score(nowMs: number): number {
    const reported = this.#lastReport !== undefined && this.isReportFresh(nowMs) ? this.#lastReport.inFlight : 0;
    // A report comes over the wire; a negative or NaN figure must not make a backend look idle forever.
    const inFlight = Number.isFinite(reported) && reported > 0 ? reported : 0;
    return inFlight + this.#assignedSinceReport;
  }

  /** Proxy mode: the LB has just forwarded a request to this backend. */
  callStarted(): void {
    this.#hasTrackedCalls = true;
    this.#inFlightExact += 1;
    this.#watcher?.loadChanged(this.#watchSlot);
  }

  /**
   * Proxy mode: a forwarded request ended (answered or failed) after `latencyMs`; its latency
   * feeds the EWMA. An end without a start (a caller's bug) does not take the count below 0.
   */
  callEnded(latencyMs: number | undefined, nowMs: number): void {
    if (this.#inFlightExact > 0) {
      this.#inFlightExact -= 1;
      this.#watcher?.loadChanged(this.#watchSlot);
    }
    // Undefined: the call ended unseen (its client went away), so there is no latency to learn from.
    if (latencyMs !== undefined) this.recordLatency(latencyMs, nowMs);
  }

  /** Requests forwarded by the LB and not yet ended; 0 in look-aside mode, which never calls callStarted. */
  get inFlightExact(): number {
    return this.#inFlightExact;
  }

  /** True once callStarted has been called: the LB is proxying, so inFlightExact is the truth. */
  get hasTrackedCalls(): boolean {
    return this.#hasTrackedCalls;
  }

  /**
   * The best figure for requests in flight now. Proxy mode: the exact count, since the LB sees
   * every start and end. Look-aside mode: score(nowMs), the estimate from the last fresh report
   * plus the assignments made since (the LB never sees a request end there).
   */
  inFlight(nowMs: number): number {
    return this.#hasTrackedCalls ? this.#inFlightExact : this.score(nowMs);
  }

  /**
   * Makes `watcher` the one told of every later change, as `slot`, and tells the previous
   * watcher (if another) that it lost this load. False when `watcher` already held this load:
   * it was given the same load twice, under two slots, and only the new slot will be told.
   */
  watch(watcher: LoadWatcher, slot: number): boolean {
    const previous = this.#watcher;
    this.#watcher = watcher;
    this.#watchSlot = slot;
    if (previous === watcher) return false;
    previous?.unwatched();
    return true;
  }

  /** Stops telling `watcher`, if it is still the one watching; a newer watcher is left alone. */
  unwatch(watcher: LoadWatcher): void {
    if (this.#watcher === watcher) this.#watcher = undefined;
  }

  /**
   * One latency observation at `nowMs` (the LB's monotonic clock, the one reports are stamped
   * with). Above the estimate: becomes it (the peak). Otherwise: estimate·w + sample·(1 − w),
   * w = exp(-Δt/τ), Δt the time since the last sample. A negative or non-finite sample is dropped.
   */
  recordLatency(latencyMs: number, nowMs: number): void {
    if (!Number.isFinite(latencyMs) || latencyMs < 0 || !Number.isFinite(nowMs)) return;
    const estimateMs = this.#latencyEstimateMs;
    if (estimateMs === undefined) {
      this.#latencyEstimateMs = latencyMs;
      this.#latencyAtMs = nowMs;
      return;
    }
    if (latencyMs > estimateMs) {
      this.#latencyEstimateMs = latencyMs;
    } else {
      const weight = this.#decayWeight(nowMs);
      this.#latencyEstimateMs = estimateMs * weight + latencyMs * (1 - weight);
    }
    // max(): a sample stamped before the last one (a lagging caller's clock) must not move time back.
    this.#latencyAtMs = Math.max(this.#latencyAtMs, nowMs);
  }

  /** True once any latency sample arrived; until then peakEwmaMs is 0 and means "unknown". */
  get hasLatencySample(): boolean {
    return this.#latencyEstimateMs !== undefined;
  }

  /**
   * The latency estimate decayed to `nowMs`: estimate·exp(-Δt/τ), Δt since the last sample.
   * Reading does not store the decay, so the estimate never depends on how often it is read.
   */
  peakEwmaMs(nowMs: number): number {
    const estimateMs = this.#latencyEstimateMs;
    return estimateMs === undefined ? 0 : estimateMs * this.#decayWeight(nowMs);
  }

  // exp(-Δt/τ); 1 when the clock reads earlier than the last sample.
  #decayWeight(nowMs: number): number {
    return Math.exp(-Math.max(0, nowMs - this.#latencyAtMs) / this.ewmaDecayMs);
  }
}

function positiveMs(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new LbxError('usage', `${name} must be a positive number of milliseconds, got ${value}`);
  }
  return value;
}
