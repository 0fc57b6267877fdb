// Forwards one gRPC call at the HTTP/2 level: the client's stream to a pooled upstream session and back, headers, DATA and trailers as they are.
//
// Nothing is decoded: request headers go up (with the upstream's :authority and a remaining
// grpc-timeout), DATA flows both ways with back-pressure, and the upstream's response headers and
// trailers (grpc-status, grpc-message) come back unchanged. Failures become gRPC statuses the
// client understands; one that provably sent nothing upstream (no connection was ever made, or
// the stream was refused) is handed back untouched, so the caller may try another backend.
import http2, { type ClientHttp2Stream, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';

import { errorText } from '../h2/error-text.js';
import type { PooledSession } from './h2-session-pool.js';
import { formatGrpcTimeout } from '../grpc/grpc-timeout.js';
import { encodeGrpcMessage } from '../grpc/grpc-message-text.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;
const END_STREAM_FLAG = http2.constants.NGHTTP2_FLAG_END_STREAM;

export const GRPC_STATUS_OK = 0;
export const GRPC_STATUS_CANCELLED = 1;
export const GRPC_STATUS_DEADLINE_EXCEEDED = 4;
export const GRPC_STATUS_RESOURCE_EXHAUSTED = 8;
export const GRPC_STATUS_INTERNAL = 13;
export const GRPC_STATUS_UNAVAILABLE = 14;

/** Connection-specific headers HTTP/2 forbids or that name the hop, never copied across. */
const HOP_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings', ':authority']);

/**
 * answered: the client got the upstream's own status · failed: the client got `grpcStatus` from
 * the proxy (the call may have reached the upstream) · not-sent: nothing went upstream and nothing
 * was answered, so another upstream may be tried · cancelled: the client went away first.
 */
export type ForwardOutcome =
  | { readonly kind: 'answered'; readonly grpcStatus: number }
  | { readonly kind: 'failed'; readonly grpcStatus: number; readonly reason: string }
  | { readonly kind: 'not-sent'; readonly reason: string }
  | { readonly kind: 'cancelled' };

export interface ForwardRequest {
  readonly front: ServerHttp2Stream;
  readonly headers: IncomingHttpHeaders;
  readonly upstream: PooledSession;
  /** A unary call's buffered request (replayable); absent: the client's DATA is piped as it comes (streams). */
  readonly body?: Buffer;
  /** When the call must end (ms since the epoch): sent as grpc-timeout and enforced here; absent: the client's own header passes through. */
  readonly deadlineUnixMs?: number;
}

/** Starts forwarding; `onEnd` is called exactly once, with what became of the call. */
export function forwardStream(request: ForwardRequest, onEnd: (outcome: ForwardOutcome) => void): void {
  const pooled = request.upstream;
  let upstream: ClientHttp2Stream;
  try {
    upstream = pooled.session.request(upstreamHeaders(request), { endStream: false });
  } catch (error) {
    // The session closed between the pool's check and this request: nothing was sent.
    onEnd({ kind: 'not-sent', reason: `backend ${pooled.authority}: ${errorText(error)}` });
    return;
  }
  new ForwardedCall(request, upstream, onEnd).start();
}

/** The state of one forwarded call: what was sent to the client so far, and how the upstream stream ended. */
class ForwardedCall {
  private hasResponded = false;
  private isUpstreamDone = false;
  private isEnded = false;
  private trailers: OutgoingHttpHeaders | undefined;
  private upstreamStatus = GRPC_STATUS_UNAVAILABLE;
  private upstreamError: unknown;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: ForwardRequest,
    private readonly upstream: ClientHttp2Stream,
    private readonly onEnd: (outcome: ForwardOutcome) => void,
  ) {}

  start(): void {
    const { front } = this.request;
    const { upstream } = this;
    upstream.on('response', (headers, flags) => this.onResponse(headers, flags));
    upstream.on('trailers', (headers) => {
      this.upstreamStatus = grpcStatusOf(headers);
      this.trailers = copyHeaders(headers);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!front.destroyed && !front.write(chunk)) {
        upstream.pause();
        front.once('drain', () => upstream.resume());
      }
    });
    upstream.on('end', () => {
      this.isUpstreamDone = true;
      if (this.hasResponded && !front.writableEnded && !front.destroyed) front.end();
    });
    upstream.on('error', (error) => (this.upstreamError = error));
    upstream.on('close', () => this.onUpstreamClose());
    front.once('wantTrailers', this.onWantTrailers);
    front.on('close', this.onFrontClose);
    // setTimeout takes at most 2^31 - 1 ms; a longer deadline is as good as none.
    if (this.request.deadlineUnixMs !== undefined && this.request.deadlineUnixMs - Date.now() <= 2 ** 31 - 1) {
      this.timer = setTimeout(() => this.onDeadline(), Math.max(1, this.request.deadlineUnixMs - Date.now()));
    }
    if (this.request.body !== undefined) upstream.end(this.request.body);
    else pipeRequest(front, upstream);
  }

  private onResponse(headers: IncomingHttpHeaders, flags: number): void {
    const { front } = this.request;
    if (front.destroyed || front.headersSent) return;
    this.hasResponded = true;
    if ((flags & END_STREAM_FLAG) !== 0) {
      // Trailers-only (an error before any message): one HEADERS frame carries the status.
      this.isUpstreamDone = true;
      this.upstreamStatus = grpcStatusOf(headers);
      front.respond(copyHeaders(headers), { endStream: true });
      return;
    }
    front.respond(copyHeaders(headers), { waitForTrailers: true });
  }

  private onUpstreamClose(): void {
    const code = this.upstream.rstCode;
    if (code === NGHTTP2_NO_ERROR && this.isUpstreamDone) return this.end({ kind: 'answered', grpcStatus: this.upstreamStatus });
    if (this.isEnded) return;
    const { authority, isConnected } = this.request.upstream;
    // Refused, or queued on a connection that was never made: the upstream saw no byte of it.
    if (!this.hasResponded && (code === NGHTTP2_REFUSED_STREAM || !isConnected)) {
      return this.end({
        kind: 'not-sent',
        reason: `backend ${authority} ${code === NGHTTP2_REFUSED_STREAM ? 'refused the stream' : `could not be reached (${errorText(this.upstreamError)})`}`,
      });
    }
    const why = this.upstreamError === undefined ? `reset the stream (HTTP/2 code ${code})` : `failed mid-call (${errorText(this.upstreamError)})`;
    this.fail(GRPC_STATUS_UNAVAILABLE, `backend ${authority} ${why}`);
  }

  private readonly onWantTrailers = (): void => {
    if (!this.request.front.destroyed)
      this.request.front.sendTrailers(this.trailers ?? statusTrailers(GRPC_STATUS_INTERNAL, 'the upstream ended its response without a gRPC status'));
  };

  /** The client reset or closed its stream: the upstream is reset too, unless it had already answered. */
  private readonly onFrontClose = (): void => {
    if (this.isEnded || this.isUpstreamDone) return;
    this.upstream.close(NGHTTP2_CANCEL);
    this.end({ kind: 'cancelled' });
  };

  private onDeadline(): void {
    this.timer = undefined;
    if (this.isEnded || this.isUpstreamDone) return;
    this.upstream.close(NGHTTP2_CANCEL);
    this.fail(GRPC_STATUS_DEADLINE_EXCEEDED, `deadline exceeded waiting for ${this.request.upstream.authority}`);
  }

  /** Answers the client with `grpcStatus`: trailers-only when nothing was sent yet, else as the trailers after what was. */
  private fail(grpcStatus: number, reason: string): void {
    const { front } = this.request;
    if (!front.destroyed && !front.closed) {
      if (!front.headersSent) front.respond({ ':status': 200, 'content-type': 'application/grpc', ...statusTrailers(grpcStatus, reason) }, { endStream: true });
      else if (!front.writableEnded) {
        this.trailers = statusTrailers(grpcStatus, reason);
        front.end();
      } else front.close(NGHTTP2_CANCEL);
    }
    this.end({ kind: 'failed', grpcStatus, reason });
  }

  private end(outcome: ForwardOutcome): void {
    if (this.isEnded) return;
    this.isEnded = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.request.front.off('close', this.onFrontClose);
    // Nothing went to the client: the next forward of the same call (a retry) answers it.
    if (outcome.kind === 'not-sent') this.request.front.off('wantTrailers', this.onWantTrailers);
    this.onEnd(outcome);
  }
}

/** Streams the client's DATA upstream as it comes, pausing the client while the upstream is full. */
function pipeRequest(front: ServerHttp2Stream, upstream: ClientHttp2Stream): void {
  front.on('data', (chunk: Buffer) => {
    if (!upstream.destroyed && !upstream.write(chunk)) {
      front.pause();
      upstream.once('drain', () => front.resume());
    }
  });
  front.on('end', () => {
    if (!upstream.destroyed) upstream.end();
  });
}

/** The client's headers for the upstream: its own :authority, no connection-specific ones, grpc-timeout set to what is left. */
function upstreamHeaders(request: ForwardRequest): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ':authority': request.upstream.authority };
  for (const name of Object.keys(request.headers)) {
    if (!HOP_HEADERS.has(name)) headers[name] = request.headers[name];
  }
  if (request.deadlineUnixMs !== undefined) headers['grpc-timeout'] = formatGrpcTimeout(request.deadlineUnixMs - Date.now());
  return headers;
}

/** Response headers or trailers as they came, minus connection-specific ones. */
function copyHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const name of Object.keys(incoming)) {
    if (!HOP_HEADERS.has(name)) headers[name] = incoming[name];
  }
  return headers;
}

const grpcStatusOf = (headers: IncomingHttpHeaders): number => {
  const value = Number(headers['grpc-status']);
  return Number.isInteger(value) ? value : GRPC_STATUS_UNAVAILABLE;
};

/** grpc-status and grpc-message (percent-encoded as the gRPC HTTP/2 spec asks). */
export function statusTrailers(grpcStatus: number, message: string): OutgoingHttpHeaders {
  return { 'grpc-status': String(grpcStatus), 'grpc-message': encodeGrpcMessage(message) };
}
