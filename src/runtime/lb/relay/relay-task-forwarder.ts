// Proxy mode's ProcessTask through the frame relay: read the unary request, pick a backend, relay the call, account for it; a call that never reached a backend is tried on another.
//
// The same contract as h2-task-forwarder.ts (which forwards with node:http2 streams): a backend's
// in-flight count goes up when the call is sent and down exactly once when it ends, with its
// latency and outcome for the policy and outlier ejection; only a forward the backend provably
// never saw is replayed elsewhere, from the buffered request.
import type { Balancer } from '../../../core/balancer.js';
import { XDS_HASH_HEADER } from '../../../core/xds/xds-plan.js';
import type { HeaderList } from '../../h2/hpack.js';
import { GRPC_STATUS_RESOURCE_EXHAUSTED, GRPC_STATUS_UNAVAILABLE, type ForwardOutcome } from '../h2-forward-stream.js';
import { DEFAULT_FORWARD_TIMEOUT_MS, GRPC_STATUS_INVALID_ARGUMENT, H2_FORWARD_ATTEMPTS, MAX_REQUEST_BYTES } from '../h2-task-forwarder.js';
import { parseGrpcTimeoutMs } from '../../grpc/grpc-timeout.js';
import { accountForward, outcomeStatus } from '../forward-accounting.js';
import { readTaskFields, type TaskFields } from '../proxy-task-fields.js';
import { RelayCall, type Downstream, type DownstreamHandler } from './relay-call.js';
import { statusHeaders, upstreamRequestHeaders } from './relay-headers.js';
import { headerValue } from '../../h2/hpack.js';
import { RelayUpstreams } from './relay-upstreams.js';

const EMPTY = Buffer.alloc(0);

export class RelayTaskForwarder {
  private readonly upstreams = new RelayUpstreams();
  private inFlight = 0;

  constructor(
    private readonly balancer: Balancer,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Forwards started and not yet ended (0 once every call has been accounted for). */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /** Takes one ProcessTask stream; `release` is called once the stream needs no more events. */
  handle(down: Downstream, headers: HeaderList, release: () => void): DownstreamHandler {
    return new RelayedTask(this, down, headers, release);
  }

  close(): void {
    this.upstreams.close();
  }

  /** One forward of `task`; `lastFailure` says why the one before reached no backend, so a client left with none learns why. */
  attempt(task: RelayedTask, fields: Extract<TaskFields, { ok: true }>, attempt: number, lastFailure?: string): void {
    const pick = this.balancer.pick({ taskKind: fields.kind, key: fields.key, exclude: task.exclude });
    if (pick.kind === 'unavailable') return task.answer(GRPC_STATUS_UNAVAILABLE, lastFailure === undefined ? pick.reason : `${lastFailure}; then ${pick.reason}`);
    const { backend } = pick;
    const startedAt = this.nowMs();
    backend.load.callStarted();
    this.inFlight += 1;
    const link = this.upstreams.get(backend.address);
    const headers = upstreamRequestHeaders(task.headers, link.authority, task.deadlineUnixMs);
    const call = new RelayCall({ down: task.down, link, headers, body: task.body, deadlineUnixMs: task.deadlineUnixMs }, (outcome: ForwardOutcome) => {
      this.inFlight -= 1;
      accountForward(this.balancer, pick, outcomeStatus(outcome), startedAt, this.nowMs());
      if (outcome.kind !== 'not-sent') return task.release();
      if (attempt < H2_FORWARD_ATTEMPTS && !task.isGone && Date.now() < task.deadlineUnixMs) {
        task.exclude.add(backend.address);
        this.attempt(task, fields, attempt + 1, outcome.reason);
      } else task.answer(GRPC_STATUS_UNAVAILABLE, `no backend reached after ${attempt} attempt(s): ${outcome.reason}`);
    });
    task.current = call;
    call.start();
  }
}

/** One ProcessTask stream: its request being read, then each forward of it in turn. */
class RelayedTask implements DownstreamHandler {
  readonly exclude = new Set<string>();
  readonly deadlineUnixMs: number;
  body: Buffer = EMPTY;
  current: RelayCall | undefined;
  isGone = false;
  private chunks: Buffer[] = [];
  private size = 0;
  private isDone = false;

  constructor(
    private readonly forwarder: RelayTaskForwarder,
    readonly down: Downstream,
    readonly headers: HeaderList,
    private readonly onRelease: () => void,
  ) {
    // The deadline runs from arrival, as the client's does.
    this.deadlineUnixMs = Date.now() + (parseGrpcTimeoutMs(headerValue(headers, 'grpc-timeout')) ?? DEFAULT_FORWARD_TIMEOUT_MS);
  }

  onDownHeaders(_headers: HeaderList, isEndStream: boolean): void {
    if (isEndStream) this.onRequestEnd();
  }

  onDownData(data: Buffer, isEndStream: boolean): void {
    // Buffered, so the client's window reopens now: the buffer is bounded by MAX_REQUEST_BYTES.
    this.down.connection.credit(this.down.streamId, data.length);
    if (this.isDone) return;
    const { budget } = this.down;
    if (this.size + data.length > MAX_REQUEST_BYTES) {
      return this.answer(GRPC_STATUS_RESOURCE_EXHAUSTED, `request larger than ${MAX_REQUEST_BYTES} bytes: the proxy buffers at most that for a retry`);
    }
    if (budget.usedBytes + data.length > budget.limitBytes) {
      return this.answer(GRPC_STATUS_RESOURCE_EXHAUSTED, `this connection's requests under way hold more than ${budget.limitBytes} bytes in the proxy`);
    }
    this.size += data.length;
    budget.usedBytes += data.length;
    this.chunks.push(data);
    if (isEndStream) this.onRequestEnd();
  }

  onDownGone(): void {
    this.isGone = true;
    if (this.current !== undefined) this.current.onDownGone();
    else this.release();
  }

  /** The proxy's own answer, when no forward is under way to give the backend's. */
  answer(grpcStatus: number, message: string): void {
    if (this.isDone) return;
    this.down.connection.sendHeaders(this.down.streamId, statusHeaders(grpcStatus, message, true), true);
    this.release();
  }

  release(): void {
    if (this.isDone) return;
    this.isDone = true;
    this.down.budget.usedBytes -= this.size;
    this.chunks = [];
    this.body = EMPTY;
    this.onRelease();
  }

  private onRequestEnd(): void {
    if (this.isDone) return;
    this.body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    const fields = readTaskFields(this.body, headerValue(this.headers, XDS_HASH_HEADER));
    if (!fields.ok) return this.answer(GRPC_STATUS_INVALID_ARGUMENT, fields.message);
    this.forwarder.attempt(this, fields, 1);
  }
}
