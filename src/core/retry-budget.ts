// A retry budget, as Envoy's (RetryBudget: budget_percent, min_retry_concurrency): retries in flight at once are
// limited to a share of the requests in flight, with a floor, so a sick backend cannot turn every request into
// several and a brown-out into an outage (a retry storm). A retry the budget refuses ends its request failed.

/** Envoy's default floor: a small run can always retry this many at once. */
export const DEFAULT_MIN_RETRY_CONCURRENCY = 3;

export class RetryBudget {
  private inFlight = 0;
  private refusedCount = 0;

  constructor(
    /** Retries in flight, as a share (0–1) of the requests in flight. */
    readonly share: number,
    readonly minConcurrency = DEFAULT_MIN_RETRY_CONCURRENCY,
  ) {}

  /** The limit with `activeRequests` in flight (retrying ones included). */
  limit(activeRequests: number): number {
    return Math.max(this.minConcurrency, Math.floor(this.share * activeRequests));
  }

  /** Takes one retry if the budget allows it now; the caller then calls `finish` when that retry has ended. */
  tryStart(activeRequests: number): boolean {
    if (this.inFlight + 1 > this.limit(activeRequests)) {
      this.refusedCount += 1;
      return false;
    }
    this.inFlight += 1;
    return true;
  }

  finish(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  get retriesInFlight(): number {
    return this.inFlight;
  }

  get refused(): number {
    return this.refusedCount;
  }
}
