// One call relayed frame by frame: a client's stream bound to a stream on an upstream connection, headers, DATA and trailers passed on both ways with the windows as back-pressure.
//
// The outcome types are the stream-level forwarder's (h2-forward-stream.ts), so the LB accounts
// for both the same way: answered (the upstream's own status reached the client), failed (the
// proxy answered), not-sent (the upstream provably never saw the stream, so another may be
// tried: nothing was answered) and cancelled (the client went first).
import { ErrorCode } from '../../h2/h2-frames.js';
import type { H2Connection } from '../../h2/h2-connection.js';
import type { HeaderList } from '../../h2/hpack.js';
import { GRPC_STATUS_DEADLINE_EXCEEDED, GRPC_STATUS_INTERNAL, GRPC_STATUS_UNAVAILABLE, type ForwardOutcome } from '../h2-forward-stream.js';
import { grpcStatusOf, statusHeaders, withoutHopHeaders } from './relay-headers.js';
import type { UpstreamCall, UpstreamLink } from './relay-upstreams.js';

/** Request bytes the relay holds for one client connection (unary requests are buffered whole, for a replay). */
export interface BufferBudget {
  usedBytes: number;
  readonly limitBytes: number;
}

/** The client's side of a call: its connection and stream. */
export interface Downstream {
  readonly connection: H2Connection;
  readonly streamId: number;
  readonly budget: BufferBudget;
}

/** What the client's stream reports to whoever holds it (a relayed call, or a task still being read). */
export interface DownstreamHandler {
  onDownHeaders(headers: HeaderList, isEndStream: boolean): void;
  onDownData(data: Buffer, isEndStream: boolean): void;
  /** The client reset the stream, or its connection went. */
  onDownGone(): void;
}

export interface RelayCallRequest {
  readonly down: Downstream;
  readonly link: UpstreamLink;
  /** Headers for the upstream (upstream-request-headers already applied). */
  readonly headers: HeaderList;
  /** A unary call's whole request, sent at once; absent: the client's DATA is passed on as it comes. */
  readonly body?: Buffer;
  /** The client's stream had already ended with its headers (no body at all). */
  readonly isRequestEnded?: boolean;
  /** When the proxy gives up (ms since the epoch); absent: the client's own deadline is the only one. */
  readonly deadlineUnixMs?: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class RelayCall implements UpstreamCall, DownstreamHandler {
  /** 0 until the upstream stream is open (a link may hold it until its peer has room). */
  private upStreamId = 0;
  /** The client's DATA and trailers that came before the upstream stream was open (streaming calls), in order. */
  private early: { readonly data: Buffer | undefined; readonly headers: HeaderList | undefined; readonly isEndStream: boolean }[] = [];
  private hasResponded = false;
  private isEnded = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: RelayCallRequest,
    private readonly onEnd: (outcome: ForwardOutcome) => void,
  ) {}

  start(): void {
    const { link, body, deadlineUnixMs } = this.request;
    const isRequestEnded = body !== undefined || this.request.isRequestEnded === true;
    link.open(this, this.request.headers, isRequestEnded && body === undefined);
    // setTimeout takes at most 2^31 - 1 ms; a longer grpc-timeout (up to 99,999,999 hours) is as good as none.
    if (deadlineUnixMs !== undefined && deadlineUnixMs - Date.now() <= MAX_TIMER_MS) this.timer = setTimeout(() => this.onDeadline(), Math.max(1, deadlineUnixMs - Date.now()));
  }

  onUpOpened(streamId: number): void {
    this.upStreamId = streamId;
    const { link, body, down } = this.request;
    if (body !== undefined) link.connection.sendData(streamId, body, true);
    for (const item of this.early.splice(0)) {
      if (item.headers !== undefined) link.connection.sendHeaders(streamId, item.headers, true);
      else link.connection.sendData(streamId, item.data as Buffer, item.isEndStream, down.connection, down.streamId);
    }
  }

  onUpHeaders(headers: HeaderList, isEndStream: boolean): void {
    if (this.isEnded) return;
    const { connection, streamId } = this.request.down;
    if (!isEndStream && !this.hasResponded) {
      this.hasResponded = true;
      connection.sendHeaders(streamId, withoutHopHeaders(headers), false);
      return;
    }
    // Trailers, or a trailers-only response (an error before any message).
    this.hasResponded = true;
    connection.sendHeaders(streamId, withoutHopHeaders(headers), true);
    // The upstream answered before the request had all gone up (a streaming call, or a body still queued): stop sending it.
    this.request.link.connection.sendReset(this.upStreamId, ErrorCode.NO_ERROR);
    this.end({ kind: 'answered', grpcStatus: grpcStatusOf(headers) });
  }

  onUpData(data: Buffer, isEndStream: boolean): void {
    const { link } = this.request;
    if (this.isEnded) return link.connection.credit(this.upStreamId, data.length);
    const { connection, streamId } = this.request.down;
    connection.sendData(streamId, data, false, link.connection, this.upStreamId);
    // A gRPC response always ends in trailers; one that ends without them gets the proxy's.
    if (isEndStream) this.fail(GRPC_STATUS_INTERNAL, `${link.authority} ended its response without a gRPC status`);
  }

  onUpReset(errorCode: number): void {
    if (this.isEnded) return;
    const { authority } = this.request.link;
    if (!this.hasResponded && errorCode === ErrorCode.REFUSED_STREAM) return this.end({ kind: 'not-sent', reason: `backend ${authority} refused the stream` });
    this.fail(GRPC_STATUS_UNAVAILABLE, `backend ${authority} reset the stream (HTTP/2 code ${errorCode})`);
  }

  onUpLost(reason: string, wasSeen: boolean): void {
    if (this.isEnded) return;
    if (!this.hasResponded && !wasSeen) return this.end({ kind: 'not-sent', reason: `backend ${reason}` });
    this.fail(GRPC_STATUS_UNAVAILABLE, `backend ${this.request.link.authority} failed mid-call (${reason})`);
  }

  onDownHeaders(headers: HeaderList, isEndStream: boolean): void {
    // Request trailers (rare in gRPC): passed on, and they end the request.
    if (this.isEnded || !isEndStream) return;
    if (this.upStreamId === 0) this.early.push({ data: undefined, headers, isEndStream: true });
    else this.request.link.connection.sendHeaders(this.upStreamId, headers, true);
  }

  onDownData(data: Buffer, isEndStream: boolean): void {
    const { connection, streamId } = this.request.down;
    if (this.isEnded) return connection.credit(streamId, data.length);
    // Not credited while it waits: the client's window bounds what it holds.
    if (this.upStreamId === 0) this.early.push({ data, headers: undefined, isEndStream });
    else this.request.link.connection.sendData(this.upStreamId, data, isEndStream, connection, streamId);
  }

  /** The client reset its stream or went: the upstream stream is reset too. */
  onDownGone(): void {
    if (this.isEnded) return;
    this.request.link.connection.sendReset(this.upStreamId, ErrorCode.CANCEL);
    this.end({ kind: 'cancelled' });
  }

  private onDeadline(): void {
    this.timer = undefined;
    this.fail(GRPC_STATUS_DEADLINE_EXCEEDED, `deadline exceeded waiting for ${this.request.link.authority}`);
  }

  /** The proxy answers with `grpcStatus` (as the whole response, or as trailers after what was sent) and resets the upstream stream. */
  private fail(grpcStatus: number, reason: string): void {
    if (this.isEnded) return;
    const { connection, streamId } = this.request.down;
    connection.sendHeaders(streamId, statusHeaders(grpcStatus, reason, !this.hasResponded), true);
    this.request.link.connection.sendReset(this.upStreamId, ErrorCode.CANCEL);
    this.end({ kind: 'failed', grpcStatus, reason });
  }

  private end(outcome: ForwardOutcome): void {
    if (this.isEnded) return;
    this.isEnded = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    const { link, down } = this.request;
    if (this.upStreamId === 0) link.cancelWaiting(this);
    else link.forget(this.upStreamId);
    // What the client sent for a stream that never opened is given back.
    for (const item of this.early.splice(0)) if (item.data !== undefined) down.connection.credit(down.streamId, item.data.length);
    this.onEnd(outcome);
  }
}
