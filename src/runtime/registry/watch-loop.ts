// What every adapter's watch loop shares: a stop flag, a pause that stop() cuts short, error reports that
// cannot break the loop, and the retry backoff (the Consul-API and etcd watches differ only in what they ask).
/** The first retry's wait after a watch failed; it doubles up to the adapter's ceiling. */
export const WATCH_RETRY_INITIAL_MS = 100;

export class WatchLoop {
  #isStopped = false;
  #pauseTimer: NodeJS.Timeout | undefined;
  #endPause: (() => void) | undefined;

  constructor(private readonly onError: ((error: Error) => void) | undefined) {}

  get isStopped(): boolean {
    return this.#isStopped;
  }

  /** Waits `ms`, or less when stop() comes first. */
  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#endPause = resolve;
      this.#pauseTimer = setTimeout(resolve, ms);
    });
  }

  /** Tells the listener of an error (not after stop); the watch must keep running whatever the listener does. */
  report(error: unknown): void {
    if (this.#isStopped) return;
    try {
      this.onError?.(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // Ignored on purpose: see above.
    }
  }

  /** Marks the loop stopped and ends a pause in progress; false when it was stopped already. */
  stop(): boolean {
    if (this.#isStopped) return false;
    this.#isStopped = true;
    clearTimeout(this.#pauseTimer);
    this.#endPause?.();
    return true;
  }
}

/** Exponential backoff from WATCH_RETRY_INITIAL_MS up to the ceiling, with ±20% jitter so watchers spread out. */
export function retryDelayMs(failures: number, maxMs: number): number {
  const baseMs = Math.min(maxMs, WATCH_RETRY_INITIAL_MS * 2 ** Math.min(failures - 1, 20));
  return Math.round(baseMs * (0.8 + 0.4 * Math.random()));
}
