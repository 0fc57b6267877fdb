// The client's side of GetServerStream: many picks in flight on one stream, each settled once by its reply, a deadline, or the stream failing.
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';

import type { GetServerReply, GetServerRequest, GetServerResponse, LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';

interface PendingPick {
  readonly resolve: (server: GetServerResponse) => void;
  readonly reject: (error: ServiceError) => void;
  readonly timer: NodeJS.Timeout;
}

/** An error shaped like grpc-js's, so callers handle a streamed failure exactly like a unary one. */
const pickError = (code: GrpcStatus, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });

export class PickStream {
  private stream: ClientDuplexStream<GetServerRequest, GetServerReply> | undefined;
  private readonly pending = new Map<number, PendingPick>();
  private nextRequestId = 1;

  constructor(
    private readonly lb: LoadBalancerClient,
    private readonly timeoutMs: number,
  ) {}

  pick(request: Omit<GetServerRequest, 'requestId'>): Promise<GetServerResponse> {
    const stream = this.stream ?? this.open();
    const requestId = this.nextRequestId;
    this.nextRequestId += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(pickError(GrpcStatus.DEADLINE_EXCEEDED, `no pick from the LB within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      stream.write({ ...request, requestId });
    });
  }

  close(): void {
    this.fail(pickError(GrpcStatus.CANCELLED, 'pick stream closed by the client'));
  }

  private open(): ClientDuplexStream<GetServerRequest, GetServerReply> {
    const stream = this.lb.getServerStream();
    this.stream = stream;
    stream.on('data', (reply: GetServerReply) => {
      const pending = this.pending.get(reply.requestId);
      if (pending === undefined) return; // already timed out
      this.pending.delete(reply.requestId);
      clearTimeout(pending.timer);
      if (reply.statusCode === GrpcStatus.OK && reply.server) pending.resolve(reply.server);
      else pending.reject(pickError(reply.statusCode || GrpcStatus.INTERNAL, reply.statusMessage || 'empty reply'));
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
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
    stream?.cancel();
  }
}
