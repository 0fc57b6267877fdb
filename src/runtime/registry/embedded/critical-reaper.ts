// DeregisterCriticalServiceAfter: a timer per check that has been critical, firing when it has been critical long enough.

import { MAX_TIMER_MS } from './tcp-probe.js';

export class CriticalReaper {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly reap: (checkId: string) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /**
   * Call whenever a check's status may have changed. A critical check with a limit gets a timer due at
   * `criticalSinceMs + afterMs` (kept if one is already running); any other state cancels the timer.
   */
  track(checkId: string, isCritical: boolean, criticalSinceMs: number, afterMs: number | undefined): void {
    if (!isCritical || afterMs === undefined) {
      this.cancel(checkId);
      return;
    }
    if (this.timers.has(checkId)) return;
    const delayMs = Math.max(0, criticalSinceMs + afterMs - this.nowMs());
    this.timers.set(
      checkId,
      setTimeout(
        () => {
          this.timers.delete(checkId);
          this.reap(checkId);
        },
        Math.min(delayMs, MAX_TIMER_MS),
      ),
    );
  }

  cancel(checkId: string): void {
    clearTimeout(this.timers.get(checkId));
    this.timers.delete(checkId);
  }

  cancelAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
