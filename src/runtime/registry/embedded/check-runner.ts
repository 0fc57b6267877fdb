// Runs the timed side of checks: TCP dials every Interval (the first at once), TTL timers that expire to critical.

import type { CheckProbe, CheckStatus } from './service-definition.js';
import { MAX_TIMER_MS, probeTcp } from './tcp-probe.js';

/** Where check results go; the runner never decides what a result means for the catalog. */
export type CheckReport = (checkId: string, status: CheckStatus, output: string) => void;

export const TTL_EXPIRED_OUTPUT = 'TTL expired';

interface RunningCheck {
  readonly type: CheckProbe['type'];
  /** Restarts the TTL countdown (TTL checks only). */
  touch(): void;
  stop(): void;
}

export class CheckRunner {
  private readonly running = new Map<string, RunningCheck>();

  constructor(private readonly report: CheckReport) {}

  /** Starts (or restarts) the check: a TCP check dials immediately, a TTL check starts counting down. */
  start(checkId: string, probe: CheckProbe): void {
    this.stop(checkId);
    const running = probe.type === 'tcp' ? this.startTcp(checkId, probe) : this.startTtl(checkId, probe.ttlMs);
    this.running.set(checkId, running);
  }

  /** True if the check is a running TTL check. */
  isTtl(checkId: string): boolean {
    return this.running.get(checkId)?.type === 'ttl';
  }

  /** Restarts a TTL check's countdown after an update; false if there is no such TTL check. */
  touchTtl(checkId: string): boolean {
    const running = this.running.get(checkId);
    if (running?.type !== 'ttl') return false;
    running.touch();
    return true;
  }

  stop(checkId: string): void {
    this.running.get(checkId)?.stop();
    this.running.delete(checkId);
  }

  stopAll(): void {
    for (const running of this.running.values()) running.stop();
    this.running.clear();
  }

  private startTcp(checkId: string, probe: Extract<CheckProbe, { type: 'tcp' }>): RunningCheck {
    let isStopped = false;
    let timer: NodeJS.Timeout | undefined;
    let cancelDial: (() => void) | undefined;
    // Sequential like Consul's: the next dial is scheduled an Interval after the previous one ended.
    const dialOnce = (): void => {
      cancelDial = probeTcp(probe.host, probe.port, probe.timeoutMs, (status, output) => {
        cancelDial = undefined;
        if (isStopped) return;
        this.report(checkId, status, output);
        if (!isStopped) timer = setTimeout(dialOnce, Math.min(probe.intervalMs, MAX_TIMER_MS));
      });
    };
    dialOnce();
    return {
      type: 'tcp',
      touch: () => undefined,
      stop: () => {
        isStopped = true;
        clearTimeout(timer);
        cancelDial?.();
      },
    };
  }

  private startTtl(checkId: string, ttlMs: number): RunningCheck {
    const expire = (): void => this.report(checkId, 'critical', TTL_EXPIRED_OUTPUT);
    let timer = setTimeout(expire, Math.min(ttlMs, MAX_TIMER_MS));
    return {
      type: 'ttl',
      touch: () => {
        clearTimeout(timer);
        timer = setTimeout(expire, Math.min(ttlMs, MAX_TIMER_MS));
      },
      stop: () => clearTimeout(timer),
    };
  }
}
