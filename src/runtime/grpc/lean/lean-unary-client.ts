// Unary gRPC calls without grpc-js, for a backend's few calls to its LB (register, report load, leave): one HTTP/2
// connection (../../h2, client role) opened on the first call and again after it is lost, a deadline per call
// (grpc-timeout, and a local timer), and failures as grpc-js shapes them (an Error with `code` and `details`), so
// callers test them alike.
import net from 'node:net';

import type { MethodDefinition, ServiceError } from '@grpc/grpc-js';

import { hostOf, portOf } from '../../../core/host-port.js';
import { ErrorCode } from '../../h2/h2-frames.js';
import { H2Connection, type H2ConnectionEvents } from '../../h2/h2-connection.js';
import { headerValue, type HeaderList } from '../../h2/hpack.js';
import { decodeGrpcMessage } from '../grpc-message-text.js';
import { formatGrpcTimeout } from '../grpc-timeout.js';
import { Status } from '../status.js';
import { callErrorWith } from '../status-errors.js';
import { frameMessage, MessageReader } from './grpc-messages.js';
import { LeanMetadata } from './lean-metadata.js';

/** Answers are small (an LB's replies); a bigger one is a broken peer. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

const SETTINGS = { role: 'client', streamWindowBytes: 1024 * 1024, connectionWindowBytes: 1024 * 1024, maxConcurrentStreams: 2 ** 31 - 1, maxHeaderListBytes: 16 * 1024 } as const;

/** An error shaped like grpc-js's ServiceError. */
export const leanCallError = (code: number, details: string): ServiceError => callErrorWith(code, details, new LeanMetadata([]));

/** gRPC's mapping of an HTTP status that is not 200 (gRPC over HTTP/2: "HTTP to gRPC Status Code Mapping"). */
function statusOfHttp(httpStatus: string | undefined): number {
  const mapped: Record<string, number> = { '400': Status.INTERNAL, '401': Status.UNAUTHENTICATED, '403': Status.PERMISSION_DENIED, '404': Status.UNIMPLEMENTED };
  if (httpStatus !== undefined && ['429', '502', '503', '504'].includes(httpStatus)) return Status.UNAVAILABLE;
  return mapped[httpStatus ?? ''] ?? Status.UNKNOWN;
}

interface PendingCall {
  readonly headers: HeaderList;
  readonly body: Buffer;
  readonly reader: MessageReader;
  readonly settle: (error: ServiceError | undefined, message?: Buffer) => void;
  message: Buffer | undefined;
  streamId: number;
}

export class LeanUnaryClient {
  private link: ClientLink | undefined;
  private readonly host: string;
  private readonly port: number;

  /** `metadata`: headers every call carries (the cluster token's authorization). */
  constructor(
    readonly address: string,
    private readonly metadata: HeaderList = [],
  ) {
    const port = portOf(address);
    if (port === undefined) throw new Error(`"${address}" is not host:port`);
    this.host = hostOf(address);
    this.port = port;
  }

  /** One call with a deadline `timeoutMs` from now; `signal` cancels it (CANCELLED). */
  call<Request, Response>(method: MethodDefinition<Request, Response>, request: Request, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(leanCallError(Status.CANCELLED, 'cancelled by the caller'));
      const headers: HeaderList = [':method', 'POST', ':scheme', 'http', ':path', method.path, ':authority', this.address];
      headers.push('content-type', 'application/grpc', 'te', 'trailers', 'grpc-timeout', formatGrpcTimeout(timeoutMs), ...this.metadata);
      const body = frameMessage(method.requestSerialize(request));
      const link = this.usableLink();
      let isSettled = false;
      const settle = (error: ServiceError | undefined, message?: Buffer): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
        link.forget(pending);
        if (error !== undefined) return reject(error);
        try {
          resolve(method.responseDeserialize(message as Buffer));
        } catch (decodeError) {
          reject(leanCallError(Status.INTERNAL, `cannot decode the answer of ${method.path}: ${(decodeError as Error).message}`));
        }
      };
      const pending: PendingCall = { headers, body, reader: new MessageReader(MAX_RESPONSE_BYTES), message: undefined, streamId: 0, settle };
      const timer = setTimeout(() => settle(leanCallError(Status.DEADLINE_EXCEEDED, `no answer from ${this.address} within ${timeoutMs} ms`)), timeoutMs);
      const cancel = (): void => settle(leanCallError(Status.CANCELLED, 'cancelled by the caller'));
      signal?.addEventListener('abort', cancel, { once: true });
      link.start(pending);
    });
  }

  close(): void {
    this.link?.connection.destroy();
    this.link = undefined;
  }

  private usableLink(): ClientLink {
    if (this.link === undefined || !this.link.connection.isOpen || this.link.connection.isGoingAway) {
      const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
      const link: ClientLink = new ClientLink(socket, this.address, () => {
        if (this.link === link) this.link = undefined;
      });
      this.link = link;
    }
    return this.link;
  }
}

/** One connection and the calls on it. */
class ClientLink implements H2ConnectionEvents {
  readonly connection: H2Connection;
  private readonly calls = new Map<number, PendingCall>();
  private readonly waiting: PendingCall[] = [];

  constructor(
    socket: net.Socket,
    private readonly address: string,
    private readonly onClosed: () => void,
  ) {
    this.connection = new H2Connection(socket, SETTINGS, this);
  }

  start(call: PendingCall): void {
    if (this.connection.hasStreamRoom) this.open(call);
    else this.waiting.push(call);
  }

  /** A call settled (answered, timed out, cancelled): its stream, if still open, is reset. */
  forget(call: PendingCall): void {
    const index = this.waiting.indexOf(call);
    if (index >= 0) this.waiting.splice(index, 1);
    if (call.streamId !== 0 && this.calls.delete(call.streamId)) this.connection.sendReset(call.streamId, ErrorCode.CANCEL);
  }

  onStreamRoom(): void {
    while (this.waiting.length > 0 && this.connection.hasStreamRoom) this.open(this.waiting.shift() as PendingCall);
  }

  onHeaders(streamId: number, headers: HeaderList, isEndStream: boolean): void {
    const call = this.calls.get(streamId);
    if (call === undefined) return;
    const httpStatus = headerValue(headers, ':status');
    if (httpStatus !== undefined && httpStatus !== '200') return this.end(call, leanCallError(statusOfHttp(httpStatus), `HTTP status ${httpStatus} from ${this.address}`));
    if (isEndStream) this.onStatus(call, headers);
  }

  onData(streamId: number, data: Buffer, isEndStream: boolean): void {
    this.connection.credit(streamId, data.length);
    const call = this.calls.get(streamId);
    if (call === undefined) return;
    const refusal = call.reader.push(data, (message) => (call.message = message));
    if (refusal !== undefined) return this.end(call, leanCallError(Status.INTERNAL, `the answer from ${this.address}: ${refusal.message}`));
    if (isEndStream) this.end(call, leanCallError(Status.INTERNAL, `${this.address} ended the answer without a status`));
  }

  onReset(streamId: number, errorCode: number): void {
    const call = this.calls.get(streamId);
    if (call === undefined) return;
    const code = errorCode === ErrorCode.REFUSED_STREAM ? Status.UNAVAILABLE : errorCode === ErrorCode.CANCEL ? Status.CANCELLED : Status.INTERNAL;
    this.end(call, leanCallError(code, `${this.address} reset the stream (HTTP/2 error ${errorCode})`));
  }

  onGoaway(lastStreamId: number): void {
    // Calls above lastStreamId were never processed; those at or below it finish.
    for (const call of [...this.calls.values()]) {
      if (call.streamId > lastStreamId) this.end(call, leanCallError(Status.UNAVAILABLE, `${this.address} is going away`));
    }
    for (const call of this.waiting.splice(0)) call.settle(leanCallError(Status.UNAVAILABLE, `${this.address} is going away`));
  }

  onClose(reason: string | undefined): void {
    const error = leanCallError(Status.UNAVAILABLE, `connection to ${this.address} lost${reason === undefined ? '' : `: ${reason}`}`);
    for (const call of [...this.calls.values(), ...this.waiting.splice(0)]) call.settle(error);
    this.calls.clear();
    this.onClosed();
  }

  private open(call: PendingCall): void {
    call.streamId = this.connection.openStream(call.headers, false);
    this.calls.set(call.streamId, call);
    this.connection.sendData(call.streamId, call.body, true);
  }

  private onStatus(call: PendingCall, trailers: HeaderList): void {
    const code = Number(headerValue(trailers, 'grpc-status'));
    if (!Number.isInteger(code)) return this.end(call, leanCallError(Status.UNKNOWN, `${this.address} sent no grpc-status`));
    if (code !== Status.OK) return this.end(call, leanCallError(code, decodeGrpcMessage(headerValue(trailers, 'grpc-message') ?? '')));
    if (call.message === undefined) return this.end(call, leanCallError(Status.INTERNAL, `${this.address} answered OK with no message`));
    this.calls.delete(call.streamId);
    call.settle(undefined, call.message);
  }

  private end(call: PendingCall, error: ServiceError): void {
    this.calls.delete(call.streamId);
    call.settle(error);
  }
}
