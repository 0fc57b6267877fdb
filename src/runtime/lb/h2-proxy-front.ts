// The proxy-mode LB port: an h2c server (node:http2) that forwards ProcessTask itself and tunnels every other stream to the LB's grpc-js server.
//
// lbx.v1.LoadBalancer, health and GetLoad keep their grpc-js implementations on a loopback port;
// each client connection gets its own tunnel connection there, so the grpc-js server still sees
// one peer per client (the balancer tells one reporting client from several by it) and a
// client's going closes its tunnel.
import http2, { type Http2Session, type Http2Server, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';

import { formatHostPort } from '../../core/host-port.js';
import { H2SessionPool } from './h2-session-pool.js';
import { listenPort } from '../grpc/listen-port.js';
import { forwardStream, GRPC_STATUS_UNAVAILABLE, statusTrailers } from './h2-forward-stream.js';
import { PROCESS_TASK_PATH, type H2TaskForwarder } from './h2-task-forwarder.js';

export interface H2FrontOptions {
  readonly host: string;
  readonly port: number;
  readonly tasks: H2TaskForwarder;
  /** host:port of the LB's own grpc-js server (loopback), where every other stream goes. */
  readonly innerAddress: string;
}

export interface RunningH2Front {
  readonly address: string;
  readonly port: number;
  /** Stops accepting, lets streams under way finish for up to `graceMs` (GOAWAY to every client), then cuts the rest. */
  stop(graceMs: number): Promise<void>;
}

const SERVER_OPTIONS: http2.ServerOptions = {
  settings: { initialWindowSize: 4 * 1024 * 1024, enablePush: false },
  // As grpc-server.ts: lbx messages are tiny; this bounds what one client can make the LB hold.
  maxSessionMemory: 64,
};

export async function startH2Front(options: H2FrontOptions): Promise<RunningH2Front> {
  const server = http2.createServer(SERVER_OPTIONS);
  const sessions = new Set<Http2Session>();
  const tunnels = new WeakMap<Http2Session, H2SessionPool>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => {
      sessions.delete(session);
      tunnels.get(session)?.close();
    });
  });
  // Errors on a client's connection end that connection; the LB goes on.
  server.on('sessionError', () => undefined);
  server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => {
    stream.on('error', () => undefined);
    if (headers[':path'] === PROCESS_TASK_PATH) return options.tasks.handle(stream, headers);
    let tunnel = tunnels.get(stream.session as Http2Session);
    if (tunnel === undefined) {
      tunnel = new H2SessionPool();
      tunnels.set(stream.session as Http2Session, tunnel);
    }
    tunnelStream(stream, headers, tunnel, options.innerAddress);
  });
  const port = await listenPort(server, options.host, options.port);
  return { address: formatHostPort(options.host, port), port, stop: (graceMs) => stopFront(server, sessions, graceMs) };
}

/** Any other stream goes to the LB's grpc-js server as it is, both ways. */
function tunnelStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, tunnel: H2SessionPool, innerAddress: string): void {
  forwardStream({ front: stream, headers, upstream: tunnel.get(innerAddress) }, (outcome) => {
    if (outcome.kind !== 'not-sent' || stream.destroyed || stream.headersSent) return;
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', ...statusTrailers(GRPC_STATUS_UNAVAILABLE, `the LB's own server is unreachable: ${outcome.reason}`) },
      { endStream: true },
    );
  });
}

async function stopFront(server: Http2Server, sessions: Set<Http2Session>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  for (const session of sessions) session.close();
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([closed, graceOver]);
  clearTimeout(timer);
  for (const session of sessions) session.destroy();
  await closed;
}
