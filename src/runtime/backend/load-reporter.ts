// Sends the backend's load to the LB every interval while anything changes, else a heartbeat; a NOT_FOUND answer means "register again".
import { Status as GrpcStatus } from '../grpc/status.js';

import { IDLE_HEARTBEAT_MS, isReportDue, type ActivityFigures } from '../../core/scale/idle-cost.js';
import type { LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { isServiceError } from '../grpc/status-errors.js';

const REPORT_TIMEOUT_MS = 1_000;

/** The LB's ReportLoad, as the backend calls it; rejects with a gRPC status error. */
export interface LoadReportTarget {
  reportLoad(report: LoadReport, timeoutMs: number): Promise<unknown>;
}

export interface LoadReporterOptions {
  readonly lb: () => LoadReportTarget | undefined;
  readonly intervalMs: number;
  readonly sample: () => LoadReport;
  /** Counters only (no window reset): whether anything happened decides if a tick reports (see isReportDue); absent = every tick. */
  readonly activity?: () => ActivityFigures;
  /** An idle backend reports at least this often (default IDLE_HEARTBEAT_MS). */
  readonly heartbeatMs?: number;
  /** Called when the LB does not know this backend (e.g. the LB restarted). */
  readonly reRegister: () => Promise<void>;
  readonly onError: (message: string) => void;
}

export class LoadReporter {
  private timer: NodeJS.Timeout | undefined;
  /** Idle: no tick until the heartbeat is due or wake() is called, so an idle backend's event loop sleeps. */
  private isResting = false;
  private inFlight = false;
  /** Set by stop(): a draining backend must never register itself again. */
  private stopped = false;
  /** Reports are failing (the LB is down or restarting): warn once per outage, not once per interval. */
  private isFailing = false;
  /** What the last report that reached the LB said, and when it was sent. */
  private lastSent: ActivityFigures | undefined;
  private lastSentAtMs = 0;

  constructor(private readonly options: LoadReporterOptions) {}

  start(): void {
    if (this.timer === undefined && !this.stopped) this.schedule(this.options.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Work arrived: an idle reporter goes back to reporting every interval. Cheap, as it runs for every task. */
  wake(): void {
    if (!this.isResting || this.stopped) return;
    this.isResting = false;
    clearTimeout(this.timer);
    this.schedule(this.options.intervalMs);
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      void this.reportOnce().finally(() => {
        if (!this.stopped && !this.isResting) this.schedule(this.options.intervalMs);
      });
    }, delayMs);
  }

  /** One last report after a drain, so the LB keeps this backend's final served totals. */
  /** Nothing to say until `untilHeartbeatMs` has passed or wake() is called (only with a start()ed timer). */
  private rest(untilHeartbeatMs: number): void {
    if (this.timer === undefined || this.stopped) return;
    this.isResting = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.isResting = false;
        void this.reportOnce().finally(() => {
          if (!this.stopped && !this.isResting) this.schedule(this.options.intervalMs);
        });
      },
      Math.max(0, untilHeartbeatMs),
    );
  }

  async finalReport(): Promise<void> {
    const lb = this.options.lb();
    if (lb !== undefined) await lb.reportLoad(this.options.sample(), REPORT_TIMEOUT_MS).catch(() => undefined);
  }

  async reportOnce(): Promise<void> {
    const lb = this.options.lb();
    // A slow LB must not pile up reports: skip a tick rather than queue it.
    if (lb === undefined || this.inFlight || this.stopped) return;
    const heartbeatMs = Math.max(this.options.heartbeatMs ?? IDLE_HEARTBEAT_MS, this.options.intervalMs);
    // A failing LB is asked again every tick: it may be back, and a NOT_FOUND must reach us soon.
    const sinceLastMs = this.isFailing ? Number.POSITIVE_INFINITY : performance.now() - this.lastSentAtMs;
    const activity = this.options.activity;
    if (activity !== undefined && !isReportDue(this.lastSent, activity(), sinceLastMs, heartbeatMs)) {
      this.rest(heartbeatMs - sinceLastMs);
      return;
    }
    this.inFlight = true;
    try {
      const report = this.options.sample();
      await lb.reportLoad(report, REPORT_TIMEOUT_MS);
      this.lastSent = report;
      this.lastSentAtMs = performance.now();
      this.isFailing = false;
    } catch (error) {
      if (isServiceError(error) && error.code === GrpcStatus.NOT_FOUND) {
        // The LB answered, it just does not know us (it restarted): register again.
        this.isFailing = false;
        if (!this.stopped) await this.options.reRegister().catch(() => undefined);
      } else {
        if (!this.isFailing)
          this.options.onError(`load report failed: ${error instanceof Error ? error.message : String(error)}; retrying every ${this.options.intervalMs} ms, quietly`);
        this.isFailing = true;
      }
    } finally {
      this.inFlight = false;
    }
  }
}
