// The client's side of GetServerBatchStream (or GetServerStream): many picks in flight on one stream, each settled once by
// its reply, a deadline, or the stream failing.
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';

import type { GetServerBatch, GetServerReply, GetServerReplyBatch, GetServerRequest, GetServerResponse, LoadBalancerClient, PickDone } from '../wire/gen/lbx/v1/load_balancer.js';
import type { TaskType } from '../wire/gen/lbx/v1/task.js';
import { TurnBatcher } from '../grpc/turn-batcher.js';

export interface StreamedPick {
  readonly server: GetServerResponse;
  /** Pass to reportDone when the task ends. */
  readonly requestId: number;
}

interface PendingPick {
  readonly resolve: (pick: StreamedPick) => void;
  readonly reject: (error: ServiceError) => void;
  /** performance.now() past which the LB is taken to be gone. */
  readonly deadlineMs: number;
}

/** Streamed picks carry no exclusions but a retry's: one empty list serves them all. */
const NO_EXCLUSIONS: string[] = [];

/** An error shaped like grpc-js's, so callers handle a streamed failure exactly like a unary one. */
const pickError = (code: GrpcStatus, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });

/**
 * How picks are framed: `batch` (GetServerBatchStream: the picks of one event-loop turn in one message, each way) or
 * `single` (GetServerStream: a message per pick, for an LB that predates batches).
 */
export type PickFraming = 'batch' | 'single';

/** Picks one batch carries at most (the LB refuses more: MAX_PICKS_PER_BATCH). */
const MAX_PICKS_PER_BATCH = 1_000;

type PickCall = ClientDuplexStream<GetServerRequest, GetServerReply> | ClientDuplexStream<GetServerBatch, GetServerReplyBatch>;

export class PickStream {
  private stream: PickCall | undefined;
  /** Batch framing: requests of this turn of the event loop, sent together at its end (a stream that failed took them with it). */
  private readonly outbox = new TurnBatcher<GetServerRequest>(MAX_PICKS_PER_BATCH, (chunks) => {
    const stream = this.stream as ClientDuplexStream<GetServerBatch, GetServerReplyBatch> | undefined;
    for (const requests of chunks) stream?.write({ requests });
  });
  /** In the order the picks were made (a Map keeps insertion order): the first is the oldest. */
  private readonly pending = new Map<number, PendingPick>();
  /**
   * One timer per stream, at the oldest pick's deadline, rather than one per pick: a timer set and cleared for every
   * pick was a tenth of the client's cost of a pick (issue 14).
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** Ends of earlier picks, sent with the next request (they need no message of their own). */
  private doneReports: PickDone[] = [];
  // Never reset, even when the stream is reopened, so a late report can never match a new pick.
  private nextRequestId = 1;
  private isClosed = false;

  constructor(
    private readonly lb: LoadBalancerClient,
    private readonly timeoutMs: number,
    private readonly framing: PickFraming = 'batch',
  ) {}

  /**
   * A pick for a task of `taskType`. The stream is one client, so its picks carry no client id (it would only repeat),
   * and `exclude` is read before this returns.
   */
  pick(taskType: TaskType, key: string, exclude: readonly string[]): Promise<StreamedPick> {
    if (this.isClosed) return Promise.reject(pickError(GrpcStatus.CANCELLED, 'pick stream closed by the client'));
    const stream = this.stream ?? this.open();
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    const done = this.doneReports;
    this.doneReports = [];
    const request: GetServerRequest = { clientId: '', taskType, key, exclude: exclude.length === 0 ? NO_EXCLUSIONS : [...exclude], requestId, done };
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject, deadlineMs: performance.now() + this.timeoutMs });
      this.armDeadline();
      this.send(stream, request);
    });
  }

  /** The task of pick `requestId` ended: the LB learns it with the next pick, for exact in-flight counts. */
  reportDone(requestId: number, latencyMs: number, ok: boolean, statusCode = 0): void {
    this.doneReports.push({ requestId, latencyMs, ok, statusCode });
  }

  close(): void {
    this.isClosed = true;
    this.fail(pickError(GrpcStatus.CANCELLED, 'pick stream closed by the client'));
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
      if (this.stream === stream) this.fail(pickError(error.code ?? GrpcStatus.UNAVAILABLE, error.details ?? error.message));
    });
    stream.on('end', () => {
      if (this.stream === stream) this.fail(pickError(GrpcStatus.UNAVAILABLE, 'the LB ended the pick stream'));
    });
    return stream;
  }

  private settle(reply: GetServerReply): void {
    const pending = this.pending.get(reply.requestId);
    if (pending === undefined) return; // already timed out
    this.pending.delete(reply.requestId);
    // Nothing left to time: a timer kept would keep a finished process alive until it fired.
    if (this.pending.size === 0) this.disarmDeadline();
    if (reply.statusCode === GrpcStatus.OK && reply.server) pending.resolve({ server: reply.server, requestId: reply.requestId });
    else pending.reject(pickError(reply.statusCode || GrpcStatus.INTERNAL, reply.statusMessage || 'empty reply'));
  }

  private fail(error: ServiceError): void {
    const stream = this.stream;
    this.stream = undefined;
    this.outbox.discard();
    // The LB ends a closed stream's outstanding picks itself; these reports have nowhere to go.
    this.doneReports = [];
    this.disarmDeadline();
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    stream?.cancel();
  }

  /** Sets the deadline timer for the oldest pick, unless one is set (it moves on to the next oldest when it fires). */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) return;
    const oldest = this.oldestPick();
    if (oldest === undefined) return;
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, oldest.deadlineMs - performance.now()));
  }

  /** The pick waiting longest: `pending` keeps the order picks were made in. */
  private oldestPick(): PendingPick | undefined {
    return this.pending.values().next().value as PendingPick | undefined;
  }

  private disarmDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  /**
   * No reply in time: the stream may never have connected (an LB that accepts nothing), or the LB is wedged. Either way
   * it is abandoned with every pick on it, so the next pick opens a fresh one.
   */
  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const oldest = this.oldestPick();
    if (oldest === undefined) return;
    // A timer may fire a fraction of a millisecond before the deadline it was set for.
    if (oldest.deadlineMs - performance.now() < 1) this.fail(pickError(GrpcStatus.DEADLINE_EXCEEDED, `no pick from the LB within ${this.timeoutMs} ms`));
    else this.armDeadline();
  }
}
