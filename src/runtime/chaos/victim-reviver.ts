// The backends `lbx chaos` killed, started again beside its loop (never in it), so a slow start cannot hold the next tick.
import type { ChaosAction, ChaosControl } from './chaos-types.js';

/** How often the end of chaos looks whether its last victims have exited yet. */
const VICTIM_EXIT_POLL_MS = 50;

export interface ReviverOptions {
  /** Start victims again at all (off when the supervisor respawns them itself). */
  readonly revive: boolean;
  readonly startTimeoutMs: number;
  readonly nowMs: () => number;
  readonly sleep: (ms: number, abort: AbortSignal) => Promise<void>;
  readonly record: (kind: ChaosAction['kind'], component: string, detail: string) => void;
}

export class VictimReviver {
  /** Backends chaos killed and has not started again yet, by port. */
  private readonly victims = new Map<number, string>();
  /** Ports being started again right now: one port is never started twice at once. */
  private readonly reviving = new Map<number, Promise<void>>();

  constructor(
    private readonly control: ChaosControl,
    private readonly options: ReviverOptions,
  ) {}

  add(port: number, name: string): void {
    this.victims.set(port, name);
  }

  /** Starts again every victim that has exited and is not being started already; resolves once those starts have begun, not ended. */
  async reviveInBackground(): Promise<void> {
    if (!this.options.revive || this.victims.size === 0) return;
    const status = await this.control.status();
    for (const [port, name] of this.victims) {
      const component = status.components.find((candidate) => candidate.name === name);
      if (component === undefined || component.state === 'removed') {
        this.victims.delete(port);
        continue;
      }
      if (component.state !== 'exited' || this.reviving.has(port)) continue;
      this.reviving.set(
        port,
        this.start(port, name).finally(() => this.reviving.delete(port)),
      );
    }
  }

  /** At the end: the last victims gone (bounded), every start under way finished, and one more pass for those that exited meanwhile. */
  async reviveAll(): Promise<void> {
    await this.awaitExited();
    await Promise.all(this.reviving.values());
    await this.reviveInBackground();
    await Promise.all(this.reviving.values());
  }

  private async start(port: number, name: string): Promise<void> {
    try {
      const change = await this.control.startBackend(port, this.options.startTimeoutMs);
      this.victims.delete(port);
      this.options.record('started', name, `pid ${change.pid}, ready in ${change.elapsedMs} ms`);
    } catch (error) {
      this.options.record('failed', name, `could not start it again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * A signal is only sent when killComponent returns: the victim of the last round may still be
   * running (or draining, after SIGTERM), and a start skips what has not exited. Wait for it, bounded.
   */
  private async awaitExited(): Promise<void> {
    if (!this.options.revive) return;
    const deadline = this.options.nowMs() + this.options.startTimeoutMs;
    // Not chaos's abort signal: after a Ctrl-C this wait still has to let the victims go down.
    const uninterrupted = new AbortController().signal;
    while (this.victims.size > 0 && this.options.nowMs() < deadline) {
      const status = await this.control.status();
      const isRunning = (name: string): boolean => {
        const component = status.components.find((candidate) => candidate.name === name);
        return component !== undefined && component.state !== 'exited' && component.state !== 'removed';
      };
      if (![...this.victims.values()].some(isRunning)) return;
      await this.options.sleep(VICTIM_EXIT_POLL_MS, uninterrupted);
    }
  }
}
