// The HTTP listener that serves one process's Prometheus metrics: GET /metrics, and 404 for anything else.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

import { LbxError } from '../../core/lbx-error.js';

export const METRICS_PATH = '/metrics';
/** What Prometheus's text exposition format is served as (prom-client's Registry.contentType). */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsSource {
  /** The exposition text, with every gauge read at this moment. */
  exposition(): Promise<string>;
}

export interface RunningMetricsServer {
  /** host:port it listens on. */
  readonly address: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** Listens on host:port (0 = any free port) and answers scrapes from `source`. */
export async function startMetricsServer(host: string, port: number, source: MetricsSource): Promise<RunningMetricsServer> {
  const server = createServer((request, response) => {
    answer(request, response, source).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  });
  // A scraper holding its connection open must not keep a stopping role alive.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const inUse = error.code === 'EADDRINUSE';
      reject(
        new LbxError(
          inUse ? 'usage' : 'runtime',
          inUse ? `metrics port ${port} on ${host} is already in use (--metrics-port)` : `cannot serve metrics on ${host}:${port}: ${error.message}`,
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
  const bound = server.address();
  const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
  return {
    address: `${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    port: boundPort,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, source: MetricsSource): Promise<void> {
  const path = (request.url ?? '').split('?', 1)[0];
  if (request.method !== 'GET' || path !== METRICS_PATH) {
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(`not found: only GET ${METRICS_PATH} is served here\n`);
    return;
  }
  const body = await source.exposition();
  response.writeHead(200, { 'content-type': EXPOSITION_CONTENT_TYPE });
  response.end(body);
}
