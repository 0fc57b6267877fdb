// One client connection of the lean gRPC server: its streams become calls of the routed methods, answered with
// gRPC's response headers, length-prefixed messages and status trailers (gRPC over HTTP/2).
import type { Socket } from 'node:net';

import { formatHostPort } from '../../../core/host-port.js';
import { H2Connection, type H2ConnectionEvents, type H2ConnectionOptions } from '../../h2/h2-connection.js';
import { ErrorCode } from '../../h2/h2-frames.js';
import { headerValue, type HeaderList } from '../../h2/hpack.js';
import { statusTrailerList } from '../grpc-message-text.js';
import { parseGrpcTimeoutMs } from '../grpc-timeout.js';
import { Status } from '../status.js';
import { capDetails } from '../status-errors.js';
import { frameMessage, MessageReader } from './grpc-messages.js';
import { LeanMetadata } from './lean-metadata.js';
import { LeanStreamCall, LeanUnaryCall, statusOfError, type CallSink } from './lean-server-calls.js';
import type { Route } from './lean-routes.js';

/** What the connection needs from its server. */
export interface LeanConnectionContext {
  readonly routes: ReadonlyMap<string, Route>;
  readonly settings: H2ConnectionOptions;
  readonly maxMessageBytes: number;
  /** Request bytes one connection may hold in calls not yet whole (see MAX_BUFFERED_BYTES_PER_CONNECTION). */
  readonly maxBufferedBytes: number;
}

/** One stream's call, from its request headers to its status. */
interface OpenCall {
  readonly streamId: number;
  readonly route: Route;
  readonly reader: MessageReader;
  readonly metadata: LeanMetadata;
  readonly deadline: Date | number;
  /** A unary or server-streaming call's request, until the client ends its side. */
  request: Buffer | undefined;
  unary: LeanUnaryCall<unknown> | undefined;
  stream: LeanStreamCall<unknown, unknown> | undefined;
  isHeadersSent: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Request bytes not yet credited to the client: a streaming handler that stops reading holds its peer back. */
  heldBytes: number;
  isReaderFull: boolean;
  /** A unary or server-streaming call's request bytes held until the client ends its side. */
  bufferedBytes: number;
}

const RESPONSE_HEADERS: HeaderList = [':status', '200', 'content-type', 'application/grpc', 'grpc-accept-encoding', 'identity'];

export class LeanServerConnection implements H2ConnectionEvents {
  readonly connection: H2Connection;
  private readonly calls = new Map<number, OpenCall>();
  private readonly peer: string;
  private onIdle: (() => void) | undefined;
  /** The sum of the open calls' bufferedBytes. */
  private bufferedBytes = 0;

  constructor(
    socket: Socket,
    private readonly context: LeanConnectionContext,
    private readonly onClosed: () => void,
  ) {
    this.peer = formatHostPort(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
    this.connection = new H2Connection(socket, context.settings, this);
  }

  /** Resolves once no call is under way (after a GOAWAY, none will start). */
  whenIdle(): Promise<void> {
    if (this.calls.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.onIdle = resolve));
  }

  /** Resets every call still open (CANCEL) and tells its handler: the server stops without waiting for them. */
  cancelAll(): void {
    for (const call of [...this.calls.values()]) {
      this.connection.sendReset(call.streamId, ErrorCode.CANCEL);
      this.cancel(call);
    }
  }

  onHeaders(streamId: number, headers: HeaderList, isEndStream: boolean, isNewStream: boolean): void {
    if (!isNewStream) {
      // Trailers from a client end its side, as an END_STREAM on DATA does.
      const call = this.calls.get(streamId);
      if (call !== undefined && isEndStream) this.onRequestEnd(call);
      return;
    }
    const call = this.open(streamId, headers);
    if (call !== undefined && isEndStream) this.onRequestEnd(call);
  }

  onData(streamId: number, data: Buffer, isEndStream: boolean): void {
    const call = this.calls.get(streamId);
    if (call === undefined) return this.connection.credit(streamId, data.length);
    const refusal = call.reader.push(data, (message) => this.onMessage(call, message));
    if (refusal !== undefined) {
      this.connection.credit(streamId, data.length);
      return this.fail(call, Status[refusal.code], refusal.message);
    }
    if (!this.calls.has(streamId)) return this.connection.credit(streamId, data.length);
    if (call.stream === undefined && !this.buffer(call, data.length)) return this.connection.credit(streamId, data.length);
    if (call.isReaderFull) call.heldBytes += data.length;
    else this.connection.credit(streamId, data.length);
    if (isEndStream) this.onRequestEnd(call);
  }

  onReset(streamId: number): void {
    const call = this.calls.get(streamId);
    if (call !== undefined) this.cancel(call);
  }

  onGoaway(): void {
    // The client opens no more streams; those under way finish.
  }

  onClose(): void {
    for (const call of [...this.calls.values()]) this.cancel(call);
    this.onIdle?.();
    this.onClosed();
  }

  /** Routes a new stream; answers it at once (and returns undefined) when it is not a call this server takes. */
  private open(streamId: number, headers: HeaderList): OpenCall | undefined {
    const refuse = (code: Status, details: string): undefined => {
      this.connection.sendHeaders(streamId, [...RESPONSE_HEADERS, ...statusTrailers(code, details)], true);
      return undefined;
    };
    const method = headerValue(headers, ':method');
    const contentType = headerValue(headers, 'content-type') ?? '';
    if (method !== 'POST' || !/^application\/grpc(\+|;|$)/.test(contentType)) {
      // Not gRPC at all: HTTP's own answer (gRPC over HTTP/2 asks for 415 on a wrong content-type).
      this.connection.sendHeaders(streamId, [':status', method !== 'POST' ? '405' : '415'], true);
      return undefined;
    }
    const path = headerValue(headers, ':path') ?? '';
    const route = this.context.routes.get(path);
    if (route === undefined) return refuse(Status.UNIMPLEMENTED, `unknown method ${capDetails(path)}: this server serves ${[...this.context.routes.keys()].join(', ')}`);
    if (route.method.requestStream && !route.method.responseStream) return refuse(Status.UNIMPLEMENTED, `${path} is client-streaming, which this server does not serve`);
    const timeout = headerValue(headers, 'grpc-timeout');
    const timeoutMs = parseGrpcTimeoutMs(timeout);
    if (timeout !== undefined && timeoutMs === undefined) {
      return refuse(Status.OUT_OF_RANGE, `grpc-timeout "${capDetails(timeout)}": expected 1 to 8 digits and a unit (H, M, S, m, u or n)`);
    }
    const call: OpenCall = {
      streamId,
      route,
      reader: new MessageReader(this.context.maxMessageBytes),
      metadata: new LeanMetadata(headers),
      deadline: timeoutMs === undefined ? Number.POSITIVE_INFINITY : new Date(Date.now() + timeoutMs),
      request: undefined,
      unary: undefined,
      stream: undefined,
      isHeadersSent: false,
      timer: undefined,
      heldBytes: 0,
      isReaderFull: false,
      bufferedBytes: 0,
    };
    this.calls.set(streamId, call);
    if (timeoutMs !== undefined) call.timer = setTimeout(() => this.expire(call), timeoutMs);
    if (route.method.requestStream) this.startStream(call, undefined);
    return call;
  }

  /**
   * Counts request bytes a unary call holds until its end. Each is credited back to the client as it is buffered (a
   * 4 MiB message must get through a 1 MiB window), so the windows bound nothing here: without this, a client with many
   * streams could make a backend hold gigabytes (node:http2 caps a session's memory the same way).
   */
  private buffer(call: OpenCall, bytes: number): boolean {
    call.bufferedBytes += bytes;
    this.bufferedBytes += bytes;
    if (this.bufferedBytes <= this.context.maxBufferedBytes) return true;
    const held = this.bufferedBytes;
    this.fail(call, Status.RESOURCE_EXHAUSTED, `this connection's unfinished requests hold ${held} bytes: at most ${this.context.maxBufferedBytes}`);
    return false;
  }

  private onMessage(call: OpenCall, message: Buffer): void {
    if (!this.calls.has(call.streamId)) return;
    if (call.stream === undefined) {
      if (call.request !== undefined) return this.fail(call, Status.UNIMPLEMENTED, `${call.route.method.path} takes one request message; a second one came`);
      call.request = message;
      return;
    }
    const value = this.decode(call, message);
    if (value !== undefined && !call.stream.push(value)) call.isReaderFull = true;
  }

  private onRequestEnd(call: OpenCall): void {
    if (!this.calls.has(call.streamId)) return;
    this.unbuffer(call);
    if (call.reader.bufferedBytes > 0) return this.fail(call, Status.INTERNAL, `the request ended inside a message (${call.reader.bufferedBytes} bytes of it came)`);
    if (call.stream !== undefined) {
      call.stream.push(null);
      return;
    }
    if (call.request === undefined) return this.fail(call, Status.UNIMPLEMENTED, `${call.route.method.path} takes one request message; the request ended with none`);
    const request = this.decode(call, call.request);
    if (request === undefined) return;
    if (call.route.method.responseStream) this.startStream(call, request);
    else this.startUnary(call, request);
  }

  private decode(call: OpenCall, message: Buffer): unknown {
    try {
      return call.route.method.requestDeserialize(message);
    } catch (error) {
      // grpc-js's words, which clients and lbx's fuzz test read as a bad request rather than a broken handler.
      this.fail(call, Status.INTERNAL, `Error deserializing request: ${statusOfError(error).details}`);
      return undefined;
    }
  }

  private startUnary(call: OpenCall, request: unknown): void {
    const unary = new LeanUnaryCall(request, call.metadata, this.peer, call.deadline);
    call.unary = unary;
    this.run(call, () =>
      call.route.handler(unary, (error: unknown, value?: unknown) => {
        if (!this.calls.has(call.streamId)) return;
        if (error) {
          const { code, details } = statusOfError(error);
          return this.finish(call, code, details);
        }
        let bytes: Buffer;
        try {
          bytes = call.route.method.responseSerialize(value);
        } catch (encodeError) {
          return this.finish(call, Status.INTERNAL, `cannot encode the response: ${statusOfError(encodeError).details}`);
        }
        this.send(call, bytes, () => undefined);
        this.finish(call, Status.OK, '');
      }),
    );
  }

  private startStream(call: OpenCall, request: unknown): void {
    const sink: CallSink = {
      send: (message, done) => this.send(call, message, done),
      finish: (code, details) => this.finish(call, code, details),
      resume: () => this.resume(call),
    };
    const stream = new LeanStreamCall(call.metadata, sink, (value) => call.route.method.responseSerialize(value), this.peer, call.deadline);
    call.stream = stream;
    if (!call.route.method.requestStream) {
      // Server-streaming: the one request is the call's; its readable side has nothing more.
      stream.request = request;
      stream.push(null);
      stream.resume();
    }
    this.run(call, () => call.route.handler(stream));
  }

  /** Runs a handler; one that throws ends its call with UNKNOWN, as grpc-js does. */
  private run(call: OpenCall, handle: () => void): void {
    try {
      handle();
    } catch (error) {
      this.fail(call, Status.UNKNOWN, statusOfError(error).details);
    }
  }

  private send(call: OpenCall, message: Buffer, done: () => void): void {
    if (!this.calls.has(call.streamId)) return done();
    if (!call.isHeadersSent) {
      call.isHeadersSent = true;
      this.connection.sendHeaders(call.streamId, RESPONSE_HEADERS, false);
    }
    const framed = frameMessage(message);
    let unsentBytes = framed.length;
    const source = {
      credit: (_streamId: number, bytes: number): void => {
        unsentBytes -= bytes;
        if (unsentBytes <= 0) done();
      },
    };
    this.connection.sendData(call.streamId, framed, false, source);
  }

  private resume(call: OpenCall): void {
    call.isReaderFull = false;
    if (call.heldBytes === 0) return;
    this.connection.credit(call.streamId, call.heldBytes);
    call.heldBytes = 0;
  }

  /** Ends a call with its status (trailers, or a trailers-only response when nothing was sent yet). */
  private finish(call: OpenCall, code: number, details: string): void {
    if (!this.release(call)) return;
    const trailers = statusTrailers(code, details);
    this.connection.sendHeaders(call.streamId, call.isHeadersSent ? trailers : [...RESPONSE_HEADERS, ...trailers], true);
  }

  /** Ends a call that cannot go on (a broken request): its status, and the handler told it was cancelled. */
  private fail(call: OpenCall, code: number, details: string): void {
    this.finish(call, code, details);
    call.unary?.cancel();
    call.stream?.cancel();
  }

  private expire(call: OpenCall): void {
    call.timer = undefined;
    this.fail(call, Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
  }

  /** The peer reset the stream or the connection is gone: nothing more is sent. */
  private cancel(call: OpenCall): void {
    if (!this.release(call)) return;
    call.unary?.cancel();
    call.stream?.cancel();
  }

  private unbuffer(call: OpenCall): void {
    this.bufferedBytes -= call.bufferedBytes;
    call.bufferedBytes = 0;
  }

  /** Forgets a call; false when it had ended already. */
  private release(call: OpenCall): boolean {
    if (!this.calls.delete(call.streamId)) return false;
    this.unbuffer(call);
    if (call.timer !== undefined) clearTimeout(call.timer);
    if (call.heldBytes > 0) this.connection.credit(call.streamId, call.heldBytes);
    call.heldBytes = 0;
    if (this.calls.size === 0) this.onIdle?.();
    return true;
  }
}

/** A status with its details cut to what trailers carry (see capDetails). */
const statusTrailers = (code: number, details: string): HeaderList => statusTrailerList(code, capDetails(details));
