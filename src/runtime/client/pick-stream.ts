// The client's side of GetServerBatchStream (or GetServerStream): many picks in flight on one stream, each settled once by
// its reply, a deadline, or the stream failing.
import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';

import type { GetServerBatch, GetServerReply, GetServerReplyBatch, GetServerRequest, LoadBalancerClient, PickDone } from '../wire/gen/lbx/v1/load_balancer.js';
import type { TaskType } from '../wire/gen/lbx/v1/task.js';
import { TurnBatcher } from '../grpc/turn-batcher.js';
import { PendingPicks, type Picks, type StreamedPick } from './pending-picks.js';
import { callError } from '../grpc/unary.js';

/** Streamed picks carry no exclusions but a retry's: one empty list serves them all. */
const NO_EXCLUSIONS: string[] = [];

/**
 * How picks are framed: `batch` (GetServerBatchStream: the picks of one event-loop turn in one message, each way) or
 * `single` (GetServerStream: a message per pick, for an LB that predates batches).
 */
export type PickFraming = 'batch' | 'single';

/** Picks one batch carries at most (the LB refuses more: MAX_PICKS_PER_BATCH). */
const MAX_PICKS_PER_BATCH = 1_000;

type PickCall = ClientDuplexStream<GetServerRequest, GetServerReply> | ClientDuplexStream<GetServerBatch, GetServerReplyBatch>;

export class PickStream implements Picks {
  private stream: PickCall | undefined;
  /** Batch framing: requests of this turn of the event loop, sent together at its end (a stream that failed took them with it). */
  private readonly outbox = new TurnBatcher<GetServerRequest>(MAX_PICKS_PER_BATCH, (chunks) => {
    const stream = this.stream as ClientDuplexStream<GetServerBatch, GetServerReplyBatch> | undefined;
    for (const requests of chunks) stream?.write({ requests });
  });
  /** A stream whose oldest pick has no reply in time is abandoned with every pick on it, so the next pick opens a fresh one. */
  private readonly pending: PendingPicks;
  /** Ends of earlier picks, sent with the next request (they need no message of their own). */
  private doneReports: PickDone[] = [];
  // Never reset, even when the stream is reopened, so a late report can never match a new pick.
  private nextRequestId = 1;
  private isClosed = false;

  constructor(
    private readonly lb: LoadBalancerClient,
    timeoutMs: number,
    private readonly framing: PickFraming = 'batch',
  ) {
    this.pending = new PendingPicks(timeoutMs, (error) => this.fail(error));
  }

  /**
   * A pick for a task of `taskType`. The stream is one client, so its picks carry no client id (it would only repeat),
   * and `exclude` is read before this returns.
   */
  pick(taskType: TaskType, key: string, exclude: readonly string[]): Promise<StreamedPick> {
    if (this.isClosed) return Promise.reject(callError(GrpcStatus.CANCELLED, 'pick stream closed by the client'));
    const stream = this.stream ?? this.open();
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    const done = this.doneReports;
    this.doneReports = [];
    const request: GetServerRequest = { clientId: '', taskType, key, exclude: exclude.length === 0 ? NO_EXCLUSIONS : [...exclude], requestId, done };
    const picked = this.pending.add(requestId);
    this.send(stream, request);
    return picked;
  }

  reportDone(requestId: number, latencyMs: number, ok: boolean, statusCode = 0): void {
    this.doneReports.push({ requestId, latencyMs, ok, statusCode });
  }

  close(): void {
    this.isClosed = true;
    this.fail(callError(GrpcStatus.CANCELLED, 'pick stream closed by the client'));
  }

  private send(stream: PickCall, request: GetServerRequest): void {
    if (this.framing === 'single') {
      (stream as ClientDuplexStream<GetServerRequest, GetServerReply>).write(request);
      return;
    }
    this.outbox.push(request);
  }

  private open(): PickCall {
    const stream: PickCall = this.framing === 'batch' ? this.lb.getServerBatchStream() : this.lb.getServerStream();
    this.stream = stream;
    stream.on('data', (message: GetServerReply | GetServerReplyBatch) => {
      // A stream given up on settles nothing: its picks have all been failed already.
      if (this.stream !== stream) return;
      if ('replies' in message) for (const reply of message.replies) this.settle(reply);
      else this.settle(message);
    });
    // The stream broke (LB gone, restarted): fail what is waiting; the next pick opens a new stream.
    stream.on('error', (error: ServiceError) => {
      if (this.stream === stream) this.fail(callError(error.code ?? GrpcStatus.UNAVAILABLE, error.details ?? error.message));
    });
    stream.on('end', () => {
      if (this.stream === stream) this.fail(callError(GrpcStatus.UNAVAILABLE, 'the LB ended the pick stream'));
    });
    return stream;
  }

  private settle(reply: GetServerReply): void {
    if (reply.statusCode === GrpcStatus.OK && reply.server) {
      this.pending.settle(reply.requestId, { address: reply.server.address, policy: reply.server.policy, requestId: reply.requestId, source: this });
    } else this.pending.settle(reply.requestId, callError(reply.statusCode || GrpcStatus.INTERNAL, reply.statusMessage || 'empty reply'));
  }

  private fail(error: ServiceError): void {
    const stream = this.stream;
    this.stream = undefined;
    this.outbox.discard();
    // The LB ends a closed stream's outstanding picks itself; these reports have nowhere to go.
    this.doneReports = [];
    this.pending.failAll(error);
    stream?.cancel();
  }
}
