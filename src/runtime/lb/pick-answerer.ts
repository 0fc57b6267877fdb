// One pick connection's answers, whatever carries them (GetServerStream, GetServerBatchStream, the pick socket): the
// policy's decision for each pick, the picks tracked until their ends are reported, the policy's name sent on change.
import { status as GrpcStatus } from '@grpc/grpc-js';

import type { PickableBackend } from '../../core/policies/policy.js';
import type { GetServerReply, GetServerRequest, GetServerResponse, PickDone } from '../wire/gen/lbx/v1/load_balancer.js';
import { PickTracker, type OutcomeSink } from './pick-tracker.js';

/** What one GetServer request comes to: a backend, or the status the pick fails with. */
export type Decision = { ok: true; server: GetServerResponse; backend: PickableBackend } | { ok: false; code: GrpcStatus; message: string };

export interface PickStreamOptions {
  readonly decide: (request: GetServerRequest) => Decision;
  readonly outcomes: OutcomeSink;
  readonly nowMs: () => number;
  /** Replies a gRPC pick stream holds unflushed, at most (MAX_PENDING_REPLIES_PER_STREAM by default). */
  readonly maxPendingReplies?: number;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export class PickAnswerer {
  private readonly tracker: PickTracker;
  /** The policy's name as this connection last sent it. */
  private policySent = '';

  /** `reporter` names the connection, so the balancer can tell one client's failure reports from several's. */
  constructor(
    private readonly options: PickStreamOptions,
    reporter: string,
  ) {
    this.tracker = new PickTracker(options.outcomes, options.nowMs, reporter);
  }

  /** Earlier picks' tasks ended (a report counts once; unknown ids are skipped). */
  ended(reports: readonly PickDone[]): void {
    this.tracker.ended(reports);
  }

  /** One pick answered: a backend, or the status the pick fails with; a throw here fails this pick, not the LB. */
  answer(request: GetServerRequest): GetServerReply {
    try {
      const decision = this.options.decide(request);
      if (!decision.ok) return { requestId: request.requestId, server: undefined, statusCode: decision.code, statusMessage: decision.message };
      this.tracker.started(request.requestId, decision.backend);
      return { requestId: request.requestId, server: this.streamed(decision.server), statusCode: GrpcStatus.OK, statusMessage: '' };
    } catch (error) {
      return { requestId: Number(request.requestId) || 0, server: undefined, statusCode: GrpcStatus.INTERNAL, statusMessage: messageOf(error) };
    }
  }

  /** The connection closed: what is still outstanding ends without a latency or an outcome. */
  releaseAll(): void {
    this.tracker.releaseAll();
  }

  /**
   * A pick's server as a stream sends it: the address, and the policy's name only with this stream's first pick and
   * when it changes. The backend's id is left out: lbx's client reads neither from every pick (each task's answer names
   * its backend), and two strings fewer per pick are work the LB and every client save on the hot path (issue 14).
   */
  private streamed(server: GetServerResponse): GetServerResponse {
    const policy = server.policy === this.policySent ? '' : server.policy;
    this.policySent = server.policy;
    return { address: server.address, backendId: '', policy };
  }
}
