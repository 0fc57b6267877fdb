// The proxy-mode LB port as an HTTP/2 frame relay: ProcessTask streams go to the picked backend, every other stream to the LB's own grpc-js server.
//
// As h2-proxy-front.ts, but without node:http2: each client connection is read frame by frame
// (h2/h2-connection.ts) and its streams are bound to streams on pooled upstream connections.
// lbx.v1.LoadBalancer, health and GetLoad go through a tunnel connection per client to the
// grpc-js server on loopback, so that server still sees one peer per client.
import net from 'node:net';

import { formatHostPort } from '../../../core/host-port.js';
import { ErrorCode } from '../../h2/h2-frames.js';
import { H2Connection, type H2ConnectionEvents } from '../../h2/h2-connection.js';
import type { HeaderList } from '../../h2/hpack.js';
import { GRPC_STATUS_UNAVAILABLE } from '../h2-forward-stream.js';
import type { RunningH2Front } from '../h2-proxy-front.js';
import { PROCESS_TASK_PATH } from '../h2-task-forwarder.js';
import { RelayCall, type BufferBudget, type DownstreamHandler } from './relay-call.js';
import { statusHeaders, upstreamRequestHeaders } from './relay-headers.js';
import { headerValue } from '../../h2/hpack.js';
import { relaySettings } from './relay-settings.js';
import type { RelayTaskForwarder } from './relay-task-forwarder.js';
import { RelayUpstreams } from './relay-upstreams.js';
import { listenPort } from '../../grpc/listen-port.js';

export interface RelayFrontOptions {
  readonly host: string;
  readonly port: number;
  readonly tasks: RelayTaskForwarder;
  /** host:port of the LB's own grpc-js server (loopback), where every other stream goes. */
  readonly innerAddress: string;
  /** Request bytes one client connection may have buffered at once (default MAX_BUFFERED_REQUEST_BYTES_PER_CONNECTION). */
  readonly maxBufferedBytesPerConnection?: number;
  /** A client connection was ended because the client broke HTTP/2 (a rapid reset, a bad frame). */
  readonly onClientError?: (message: string) => void;
}

/**
 * Request bytes one client connection may have buffered at once. Each stream's request is capped at
 * 4 MiB and its bytes are credited back as they are buffered, so without this a client with 1,000
 * streams could make the LB hold 4 GB (node:http2's front had nghttp2's 64 MB session memory cap).
 */
const MAX_BUFFERED_REQUEST_BYTES_PER_CONNECTION = 64 * 1024 * 1024;

export async function startRelayFront(options: RelayFrontOptions): Promise<RunningH2Front> {
  const clients = new Set<RelayClient>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const client = new RelayClient(socket, options, () => clients.delete(client));
    clients.add(client);
  });
  const port = await listenPort(server, options.host, options.port);
  return { address: formatHostPort(options.host, port), port, stop: (graceMs) => stopFront(server, clients, graceMs) };
}

/** One client connection: its streams, each held by a relayed call or a task being read. */
class RelayClient implements H2ConnectionEvents {
  readonly connection: H2Connection;
  private readonly handlers = new Map<number, DownstreamHandler>();
  private readonly tunnel = new RelayUpstreams();
  private readonly budget: BufferBudget;
  private onIdle: (() => void) | undefined;
  /** host:port of the client, for the log. */
  private readonly peer: string;

  constructor(
    socket: net.Socket,
    private readonly options: RelayFrontOptions,
    private readonly onClosed: () => void,
  ) {
    this.peer = formatHostPort(socket.remoteAddress ?? 'unknown', socket.remotePort ?? 0);
    this.budget = { usedBytes: 0, limitBytes: options.maxBufferedBytesPerConnection ?? MAX_BUFFERED_REQUEST_BYTES_PER_CONNECTION };
    this.connection = new H2Connection(socket, relaySettings('server'), this);
  }

  /** Resolves once no call is under way (after a GOAWAY, none will start). */
  whenIdle(): Promise<void> {
    if (this.handlers.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.onIdle = resolve));
  }

  onHeaders(streamId: number, headers: HeaderList, isEndStream: boolean, isNewStream: boolean): void {
    const handler = this.handlers.get(streamId);
    if (handler !== undefined) return handler.onDownHeaders(headers, isEndStream);
    // Trailers on a stream already answered (and released): nothing more to do.
    if (!isNewStream) return;
    const down = { connection: this.connection, streamId, budget: this.budget };
    const release = (): void => this.release(streamId);
    if (headerValue(headers, ':path') === PROCESS_TASK_PATH) {
      const task = this.options.tasks.handle(down, headers, release);
      this.handlers.set(streamId, task);
      if (isEndStream) task.onDownHeaders(headers, true);
      return;
    }
    const link = this.tunnel.get(this.options.innerAddress);
    const call = new RelayCall({ down, link, headers: upstreamRequestHeaders(headers, link.authority, undefined), isRequestEnded: isEndStream }, (outcome) => {
      if (outcome.kind === 'not-sent') {
        this.connection.sendHeaders(streamId, statusHeaders(GRPC_STATUS_UNAVAILABLE, `the LB's own server is unreachable: ${outcome.reason}`, true), true);
      }
      release();
    });
    this.handlers.set(streamId, call);
    call.start();
  }

  onData(streamId: number, data: Buffer, isEndStream: boolean): void {
    const handler = this.handlers.get(streamId);
    if (handler === undefined) this.connection.credit(streamId, data.length);
    else handler.onDownData(data, isEndStream);
  }

  onReset(streamId: number): void {
    this.handlers.get(streamId)?.onDownGone();
  }

  onGoaway(): void {
    // The client opens no more streams; those under way finish.
  }

  onClose(reason: string | undefined, isPeerFault: boolean): void {
    // A client that broke HTTP/2 is worth a line; one whose socket failed (killed, ECONNRESET) is routine, and unbounded.
    if (reason !== undefined && isPeerFault) this.options.onClientError?.(`proxy client ${this.peer} disconnected: ${reason}`);
    for (const handler of [...this.handlers.values()]) handler.onDownGone();
    this.handlers.clear();
    this.tunnel.close();
    this.onIdle?.();
    this.onClosed();
  }

  private release(streamId: number): void {
    this.handlers.delete(streamId);
    if (this.handlers.size === 0) this.onIdle?.();
  }
}

/** GOAWAY to every client, up to `graceMs` for the streams under way to finish, then every connection is cut. */
async function stopFront(server: net.Server, clients: Set<RelayClient>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const client of clients) client.connection.goaway(ErrorCode.NO_ERROR, 'the LB is stopping');
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.all([...clients].map((client) => client.whenIdle())), graceOver]);
  clearTimeout(timer);
  // Written, then closed: the last calls' trailers are queued, not yet sent, when their calls end.
  for (const client of [...clients]) client.connection.end();
  await closed;
}
