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

export interface BackendLoadOptions {
  /** A report older than this no longer counts towards the score. */
  staleAfterMs?: number;
}

export class BackendLoad {
  readonly staleAfterMs: number;
  #assignedTotal = 0;
  #assignedSinceReport = 0;
  #lastReport: LoadSample | undefined;
  #lastReportAtMs: number | undefined;

  constructor(options: BackendLoadOptions = {}) {
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
    if (!Number.isFinite(staleAfterMs) || staleAfterMs <= 0) {
      throw new LbxError('usage', `staleAfterMs must be a positive number of milliseconds, got ${staleAfterMs}`);
    }
    this.staleAfterMs = staleAfterMs;
  }

  /** The LB just assigned one request to this backend. */
  recordAssignment(): void {
    this.#assignedTotal += 1;
    this.#assignedSinceReport += 1;
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
  }

  get lastReport(): LoadSample | undefined {
    return this.#lastReport;
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
}
