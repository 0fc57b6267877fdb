// The client's side of GetServerStream: many picks in flight on one stream, each settled once by its reply, a deadline, or the stream failing.
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';

import type { GetServerReply, GetServerRequest, GetServerResponse, LoadBalancerClient, PickDone } from '../wire/gen/lbx/v1/load_balancer.js';

export interface StreamedPick {
  readonly server: GetServerResponse;
  /** Pass to reportDone when the task ends. */
  readonly requestId: number;
}

interface PendingPick {
  readonly resolve: (pick: StreamedPick) => void;
  readonly reject: (error: ServiceError) => void;
  readonly timer: NodeJS.Timeout;
}

/** An error shaped like grpc-js's, so callers handle a streamed failure exactly like a unary one. */
const pickError = (code: GrpcStatus, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });

export class PickStream {
  private stream: ClientDuplexStream<GetServerRequest, GetServerReply> | undefined;
  private readonly pending = new Map<number, PendingPick>();
  /** Ends of earlier picks, sent with the next request (they need no message of their own). */
  private doneReports: PickDone[] = [];
  // Never reset, even when the stream is reopened, so a late report can never match a new pick.
  private nextRequestId = 1;
  private isClosed = false;

  constructor(
    private readonly lb: LoadBalancerClient,
    private readonly timeoutMs: number,
  ) {}

  pick(request: Omit<GetServerRequest, 'requestId' | 'done'>): Promise<StreamedPick> {
    if (this.isClosed) return Promise.reject(pickError(GrpcStatus.CANCELLED, 'pick stream closed by the client'));
    const stream = this.stream ?? this.open();
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    const done = this.doneReports;
    this.doneReports = [];
    return new Promise((resolve, reject) => {
      // No reply in time: the stream may never have connected (an LB that accepts nothing), or the LB
      // is wedged. Either way it is abandoned, so the next pick opens a fresh one.
      const timer = setTimeout(() => {
        if (this.stream === stream) this.fail(pickError(GrpcStatus.DEADLINE_EXCEEDED, `no pick from the LB within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      stream.write({ ...request, requestId, done });
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

  private open(): ClientDuplexStream<GetServerRequest, GetServerReply> {
    const stream = this.lb.getServerStream();
    this.stream = stream;
    stream.on('data', (reply: GetServerReply) => {
      // A stream given up on settles nothing: its picks have all been failed already.
      if (this.stream !== stream) return;
      const pending = this.pending.get(reply.requestId);
      if (pending === undefined) return; // already timed out
      this.pending.delete(reply.requestId);
      clearTimeout(pending.timer);
      if (reply.statusCode === GrpcStatus.OK && reply.server) pending.resolve({ server: reply.server, requestId: reply.requestId });
      else {
        const error = pickError(reply.statusCode || GrpcStatus.INTERNAL, reply.statusMessage || 'empty reply');
        pending.reject(error);
      }
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

  private fail(error: ServiceError): void {
    const stream = this.stream;
    this.stream = undefined;
    // The LB ends a closed stream's outstanding picks itself; these reports have nowhere to go.
    this.doneReports = [];
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    stream?.cancel();
  }
}
