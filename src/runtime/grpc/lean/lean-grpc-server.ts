// A gRPC server without grpc-js, for backends: HTTP/2 from ../../h2 (the relay's own connection, over node:net), the
// same service bindings, handlers and health service as grpc-server.ts, and the same stop.
//
// Why: a backend process is mostly Node itself, and grpc-js is most of the rest. Loading it (with node:http2, tls, zlib
// and dns, which it requires) raised an idle process from 39 to 51 MB RSS here, above issue 16's 50 MB a backend; the
// whole backend held 56 MB. Backends serve four small services to lbx's clients, stock gRPC clients, HAProxy, NGINX
// and the LB's proxies, all over h2c: the relay's HTTP/2 already does what they need (flow control, HPACK, rapid-reset
// protection), and a call is a few hundred lines on top.
import net from 'node:net';

import { formatHostPort } from '../../../core/host-port.js';
import { ErrorCode } from '../../h2/h2-frames.js';
import type { H2ConnectionOptions } from '../../h2/h2-connection.js';
import type { RunningGrpcServer, ServiceBinding } from '../grpc-server.js';
import { HealthRegistry, ServingStatus } from '../health-service.js';
import { listenPort } from '../listen-port.js';
import { LeanServerConnection } from './lean-server-connection.js';
import { routesOf } from './lean-routes.js';

/** lbx messages are tiny; a 4 MiB cap keeps a hostile client from making the server buffer much (as grpc-server.ts). */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
/** Request bytes one connection's unfinished unary calls may hold at once (as the relay's front: relay-front.ts). */
const MAX_BUFFERED_BYTES_PER_CONNECTION = 64 * 1024 * 1024;
/** Time for the last responses to be flushed once the server is idle, before connections are cut (as grpc-server.ts). */
const FLUSH_MS = 100;
const IDLE_POLL_MS = 20;

const SETTINGS: H2ConnectionOptions = {
  role: 'server',
  // A task stream's batches and a unary call's request are small; 1 MB bounds what one stream makes a backend hold.
  streamWindowBytes: 1024 * 1024,
  connectionWindowBytes: 16 * 1024 * 1024,
  // grpc-js sets no limit (node:http2's default is 2^32 - 1): a client's concurrency is its own (lbx send's goes to
  // thousands of unary calls); each open call costs a small record until the executor's queue takes it.
  maxConcurrentStreams: 2 ** 31 - 1,
  // gRPC's default metadata limit is 8 KB; grpc-js's server takes 16 KB.
  maxHeaderListBytes: 16 * 1024,
};

export interface LeanServerLimits {
  /** Request bytes one connection's unfinished calls may hold (default MAX_BUFFERED_BYTES_PER_CONNECTION). */
  readonly maxBufferedBytesPerConnection?: number;
}

export async function startLeanGrpcServer(host: string, port: number, services: readonly ServiceBinding[], limits: LeanServerLimits = {}): Promise<RunningGrpcServer> {
  const health = new HealthRegistry();
  const routes = routesOf([{ name: 'grpc.health.v1.Health', definition: health.service, implementation: health.implementation }, ...services]);
  const connections = new Set<LeanServerConnection>();
  const maxBufferedBytes = limits.maxBufferedBytesPerConnection ?? MAX_BUFFERED_BYTES_PER_CONNECTION;
  const context = { routes, settings: SETTINGS, maxMessageBytes: MAX_MESSAGE_BYTES, maxBufferedBytes };
  const listener = net.createServer({ noDelay: true }, (socket) => {
    const connection = new LeanServerConnection(socket, context, () => connections.delete(connection));
    connections.add(connection);
  });
  const boundPort = await listenPort(listener, host, port);
  health.set('', ServingStatus.SERVING);
  for (const service of services) health.set(service.name, ServingStatus.SERVING);
  return { address: formatHostPort(host, boundPort), port: boundPort, health, stop: (graceMs, isIdle) => stop({ listener, connections, health }, graceMs, isIdle) };
}

interface ServerParts {
  readonly listener: net.Server;
  readonly connections: Set<LeanServerConnection>;
  readonly health: HealthRegistry;
}

/**
 * grpc-server.ts's stop: no new calls (GOAWAY), then up to `graceMs` for the calls under way; with `isIdle`, as soon as
 * the owner has no work left (a long-lived task stream never ends by itself) and its last answers are flushed. Calls
 * still open then are reset CANCEL, as grpc-js's forced shutdown does. `graceMs` 0 is a kill (a dense backend's, which
 * cannot end its thread): no GOAWAY, which would promise the calls under way an answer, and every connection cut, as a
 * SIGKILLed process's are, so clients retry them elsewhere as calls on a dropped connection.
 */
async function stop({ listener, connections, health }: ServerParts, graceMs: number, isIdle?: () => boolean): Promise<void> {
  health.setAllNotServing();
  health.endWatches();
  const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
  if (graceMs <= 0) {
    for (const connection of [...connections]) connection.connection.destroy();
    return closed;
  }
  for (const connection of connections) connection.connection.goaway(ErrorCode.NO_ERROR, 'the server is stopping');
  const timers: NodeJS.Timeout[] = [];
  await new Promise<void>((resolve) => {
    timers.push(setTimeout(resolve, graceMs));
    void Promise.all([...connections].map((connection) => connection.whenIdle())).then(() => resolve());
    if (isIdle === undefined) return;
    const poll = (): void => {
      if (isIdle()) timers.push(setTimeout(resolve, FLUSH_MS));
      else timers.push(setTimeout(poll, IDLE_POLL_MS));
    };
    poll();
  });
  for (const timer of timers) clearTimeout(timer);
  // Written, then closed: the last calls' trailers (and the resets of those cut short) are queued, not yet sent.
  for (const connection of [...connections]) {
    connection.cancelAll();
    connection.connection.end();
  }
  await closed;
}
