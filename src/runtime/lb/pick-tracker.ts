// One GetServerStream's picks that have not yet been reported done: exact in-flight counts and outcomes in look-aside mode.
//
// Each pick on the stream starts a tracked call on the chosen backend; the client reports its
// end on a later request (PickDone), which ends the call with its latency and tells the
// balancer how it went (outlier ejection counts the failures). When the stream closes,
// whatever is still outstanding is ended without a latency or an outcome, so a client that
// dies mid-run cannot leave counts behind, nor blame backends for its own going.
import type { Balancer } from '../../core/balancer.js';
import type { PickableBackend } from '../../core/policies/policy.js';
import type { PickDone } from '../wire/gen/lbx/v1/load_balancer.js';
import { pickDoneLatencyMs } from './validate-lb-request.js';

/** A stream that never reports its ends stops being tracked beyond this many, so it cannot grow without bound. */
const MAX_OUTSTANDING_PER_STREAM = 65_536;

/** Where reported outcomes go: the Balancer. */
export type OutcomeSink = Pick<Balancer, 'recordOutcome'>;

export class PickTracker {
  private readonly outstanding = new Map<number, PickableBackend>();

  /** `reporter` names who reports these outcomes (the stream's connection), so the balancer can tell one client from several. */
  constructor(
    private readonly outcomes: OutcomeSink,
    private readonly nowMs: () => number,
    private readonly reporter?: string,
  ) {}

  started(requestId: number, backend: PickableBackend): void {
    if (this.outstanding.size >= MAX_OUTSTANDING_PER_STREAM || this.outstanding.has(requestId)) return;
    this.outstanding.set(requestId, backend);
    backend.load.callStarted();
  }

  ended(reports: readonly PickDone[]): void {
    if (reports.length === 0) return;
    // One reading of the clock for the batch: its reports arrived together.
    const nowMs = this.nowMs();
    for (const report of reports) {
      const backend = this.outstanding.get(report.requestId);
      if (backend === undefined) continue; // unknown or already ended: a report counts once
      this.outstanding.delete(report.requestId);
      backend.load.callEnded(pickDoneLatencyMs(report), nowMs);
      this.outcomes.recordOutcome(backend.address, report.ok, report.statusCode, this.reporter);
    }
  }

  /** The stream closed: end everything still outstanding, without latencies or outcomes (nobody saw them end). */
  releaseAll(): void {
    for (const backend of this.outstanding.values()) backend.load.callEnded(undefined, this.nowMs());
    this.outstanding.clear();
  }
}
