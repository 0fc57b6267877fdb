// Failure-percentage outlier detection (gRPC A50, Envoy's failure_percentage detector): each interval, a backend
// whose calls failed at least THRESHOLD percent of the time, among backends that each had enough calls to judge,
// is ejected. It catches what consecutive failures miss: a backend failing every other call never fails three
// in a row for long, yet loses half its calls.
//
// Lab-sized settings, not A50's production defaults (10 s interval, 85 %, 5 hosts, 50 requests), so a
// demo of a few seconds shows it: a 1 s interval, 50 %, at least 3 backends with 20 calls each in the interval.
// Evidence must be trusted, as for consecutive failures: calls the LB saw itself (proxy mode) or failures
// reported by more than one client connection; one client alone cannot eject a backend (any local process
// can report failures), and a health probe cannot confirm a failure rate, so that evidence is not acted on.
import { judgeOutcome } from './outlier-ejection.js';

export const FAILURE_PERCENTAGE_INTERVAL_MS = 1_000;
export const FAILURE_PERCENTAGE_THRESHOLD = 50;
export const FAILURE_PERCENTAGE_MIN_HOSTS = 3;
export const FAILURE_PERCENTAGE_MIN_VOLUME = 20;

/** One backend's calls in the current interval. */
export class IntervalTally {
  ok = 0;
  failed = 0;
  /** Failures the LB saw itself (no reporter). */
  private seenByLb = false;
  private readonly reporters = new Set<string>();

  record(ok: boolean, statusCode: number, reporter?: string): void {
    const verdict = judgeOutcome(ok, statusCode);
    if (verdict === 'success') this.ok += 1;
    else if (verdict === 'failure') {
      this.failed += 1;
      if (reporter === undefined) this.seenByLb = true;
      else if (this.reporters.size < 2) this.reporters.add(reporter);
    }
  }

  get volume(): number {
    return this.ok + this.failed;
  }

  get failurePercent(): number {
    return this.volume === 0 ? 0 : (this.failed * 100) / this.volume;
  }

  /** Whether the failures come from the LB itself or from more than one client connection. */
  get isTrusted(): boolean {
    return this.seenByLb || this.reporters.size > 1;
  }

  reset(): void {
    this.ok = 0;
    this.failed = 0;
    this.seenByLb = false;
    this.reporters.clear();
  }
}

/** Of the tallies of one interval (by address), the backends to eject, worst first. */
export function failurePercentageOutliers(tallies: ReadonlyMap<string, IntervalTally>): string[] {
  const judged = [...tallies.entries()].filter(([, tally]) => tally.volume >= FAILURE_PERCENTAGE_MIN_VOLUME);
  if (judged.length < FAILURE_PERCENTAGE_MIN_HOSTS) return [];
  return judged
    .filter(([, tally]) => tally.failurePercent >= FAILURE_PERCENTAGE_THRESHOLD && tally.isTrusted)
    .sort(([, a], [, b]) => b.failurePercent - a.failurePercent)
    .map(([address]) => address);
}
