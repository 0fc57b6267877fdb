// One GetServerStream's picks that have not yet been reported done: exact in-flight counts in look-aside mode.
//
// Each pick on the stream starts a tracked call on the chosen backend; the client reports its
// end on a later request (PickDone), which ends the call with its latency. When the stream
// closes, whatever is still outstanding is ended without a latency, so a client that dies
// mid-run cannot leave counts behind.
import type { BackendLoad } from '../../core/load/backend-load.js';
import type { PickDone } from '../wire/gen/lbx/v1/load_balancer.js';

/** A stream that never reports its ends stops being tracked beyond this many, so it cannot grow without bound. */
const MAX_OUTSTANDING_PER_STREAM = 65_536;

export class PickTracker {
  private readonly outstanding = new Map<number, BackendLoad>();

  constructor(private readonly nowMs: () => number) {}

  started(requestId: number, load: BackendLoad): void {
    if (this.outstanding.size >= MAX_OUTSTANDING_PER_STREAM || this.outstanding.has(requestId)) return;
    this.outstanding.set(requestId, load);
    load.callStarted();
  }

  ended(reports: readonly PickDone[]): void {
    for (const report of reports) {
      const load = this.outstanding.get(report.requestId);
      if (load === undefined) continue; // unknown or already ended: a report counts once
      this.outstanding.delete(report.requestId);
      const latencyMs = Number.isFinite(report.latencyMs) && report.latencyMs >= 0 ? report.latencyMs : undefined;
      load.callEnded(latencyMs, this.nowMs());
    }
  }

  /** The stream closed: end everything still outstanding, without latencies. */
  releaseAll(): void {
    for (const load of this.outstanding.values()) load.callEnded(undefined, this.nowMs());
    this.outstanding.clear();
  }
}
