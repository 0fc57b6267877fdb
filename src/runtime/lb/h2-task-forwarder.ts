// Proxy mode's ProcessTask at the HTTP/2 level: buffer the unary request, pick a backend, forward the stream, account for it.
//
// Each forward is one call on the picked backend: its in-flight count goes up when the stream
// is sent and down exactly once when it ends, with the latency, and the outcome (the backend's
// grpc-status, or the proxy's own) goes to the picker's onDone and Balancer.recordOutcome for
// outlier ejection, as proxy-service.ts does. Only a forward that provably never reached its
// backend (no connection, a refused stream) is tried again on another, replaying the buffered
// request; one that failed mid-way goes back to the client as UNAVAILABLE, for its own retry.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';

import type { Balancer } from '../../core/balancer.js';
import type { PickResult } from '../../core/policies/policy.js';
import { XDS_HASH_HEADER } from '../../core/xds/xds-plan.js';
import { H2SessionPool } from './h2-session-pool.js';
import { forwardStream, GRPC_STATUS_RESOURCE_EXHAUSTED, GRPC_STATUS_UNAVAILABLE, statusTrailers, type ForwardOutcome } from './h2-forward-stream.js';
import { GRPC_PREFIX_BYTES, readTaskFields, type TaskFields } from './proxy-task-fields.js';
import { accountForward, outcomeStatus } from './forward-accounting.js';
import { parseGrpcTimeoutMs } from '../grpc/grpc-timeout.js';

export const PROCESS_TASK_PATH = '/lbx.v1.Backend/ProcessTask';
/** Backends tried for one call whose forwards never reached a backend (each tried one is excluded). */
export const H2_FORWARD_ATTEMPTS = 3;
/** Deadline for a forwarded call when the client set none (as proxy-service.ts). */
export const DEFAULT_FORWARD_TIMEOUT_MS = 30_000;
/** The largest request buffered for replay: the LB's receive limit (grpc-server.ts) plus the gRPC prefix. */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024 + GRPC_PREFIX_BYTES;
export const GRPC_STATUS_INVALID_ARGUMENT = 3;

/** One call being forwarded: the client's stream, its buffered request, and what a pick needs. */
interface TaskCall {
  readonly front: ServerHttp2Stream;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly fields: Extract<TaskFields, { ok: true }>;
  readonly deadlineUnixMs: number;
  readonly exclude: Set<string>;
}

export class H2TaskForwarder {
  private readonly pool = new H2SessionPool();
  private inFlight = 0;

  constructor(
    private readonly balancer: Balancer,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Forwards started and not yet ended (0 once every call has been accounted for). */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Takes one ProcessTask stream: reads its request, then forwards it. */
  handle(front: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    // The deadline runs from arrival, as the client's does.
    const deadlineUnixMs = Date.now() + (parseGrpcTimeoutMs(headers['grpc-timeout']) ?? DEFAULT_FORWARD_TIMEOUT_MS);
    readRequest(front, (body) => {
      if (front.destroyed || front.closed) return;
      const key = headers[XDS_HASH_HEADER];
      const fields = readTaskFields(body, typeof key === 'string' ? key : undefined);
      if (!fields.ok) return answer(front, GRPC_STATUS_INVALID_ARGUMENT, fields.message);
      this.attempt({ front, headers, body, fields, deadlineUnixMs, exclude: new Set() }, 1);
    });
  }

  close(): void {
    this.pool.close();
  }

  /** One forward; `lastFailure` says why the one before reached no backend, so a client left with none learns why. */
  private attempt(call: TaskCall, attempt: number, lastFailure?: string): void {
    const pick = this.balancer.pick({ taskKind: call.fields.kind, key: call.fields.key, exclude: call.exclude });
    if (pick.kind === 'unavailable') return answer(call.front, GRPC_STATUS_UNAVAILABLE, lastFailure === undefined ? pick.reason : `${lastFailure}; then ${pick.reason}`);
    const { backend } = pick;
    const startedAt = this.nowMs();
    backend.load.callStarted();
    this.inFlight += 1;
    forwardStream({ front: call.front, headers: call.headers, upstream: this.pool.get(backend.address), body: call.body, deadlineUnixMs: call.deadlineUnixMs }, (outcome) => {
      this.inFlight -= 1;
      this.account(pick, outcome, startedAt);
      if (outcome.kind !== 'not-sent') return;
      if (attempt < H2_FORWARD_ATTEMPTS && !call.front.closed && Date.now() < call.deadlineUnixMs) {
        call.exclude.add(backend.address);
        this.attempt(call, attempt + 1, outcome.reason);
      } else answer(call.front, GRPC_STATUS_UNAVAILABLE, `no backend reached after ${attempt} attempt(s): ${outcome.reason}`);
    });
  }

  /** One forward's end on its backend: in-flight down, latency, and the outcome for the policy and outlier ejection. */
  private account(pick: Extract<PickResult, { kind: 'backend' }>, outcome: ForwardOutcome, startedAt: number): void {
    accountForward(this.balancer, pick, outcomeStatus(outcome), startedAt, this.nowMs());
  }
}

/** Buffers the client's request (a unary call: one message), up to MAX_REQUEST_BYTES; a larger one is refused. */
function readRequest(front: ServerHttp2Stream, onRequest: (body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let isRefused = false;
  front.on('data', (chunk: Buffer) => {
    if (isRefused) return;
    size += chunk.length;
    if (size <= MAX_REQUEST_BYTES) return void chunks.push(chunk);
    isRefused = true;
    chunks.length = 0;
    answer(front, GRPC_STATUS_RESOURCE_EXHAUSTED, `request larger than ${MAX_REQUEST_BYTES} bytes: the proxy buffers at most that for a retry`);
  });
  front.on('end', () => {
    if (!isRefused) onRequest(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
  });
}

/** The proxy's own answer: a trailers-only response with the status, when the client is still there to get it. */
function answer(front: ServerHttp2Stream, grpcStatus: number, message: string): void {
  if (front.destroyed || front.closed || front.headersSent) return;
  front.respond({ ':status': 200, 'content-type': 'application/grpc', ...statusTrailers(grpcStatus, message) }, { endStream: true });
}
