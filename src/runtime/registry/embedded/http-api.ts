// The HTTP side of the registry: matches a request to a route, and writes replies with Consul's headers.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildRoutes, type Reply, type Route } from './api-routes.js';
import { DATACENTER, type CatalogState } from './catalog-state.js';
import { decodeFailed, HttpError } from './http-error.js';
import type { LocalAgent } from './local-agent.js';
import { presentedToken, requireWriteToken, type WriteAcl } from './write-acl.js';

/** Sent on every reply, and served at GET /, so nobody mistakes this for a Consul cluster. */
export const REGISTRY_IDENTITY = 'lbx embedded registry (single node, not replicated)';
export const REGISTRY_IDENTITY_HEADER = 'X-Lbx-Registry';
export const MAX_BODY_BYTES = 512 * 1024;

export interface HttpApiDependencies {
  state: CatalogState;
  agent: LocalAgent;
  /** host and port this registry listens on; it is its own leader and only peer. */
  self: () => { host: string; port: number };
  /** Who may write (register, deregister, update checks); reads are anonymous. */
  acl: WriteAcl;
  random?: () => number;
}

/** Returns the request listener for an http.Server. */
export function createHttpApi(dependencies: HttpApiDependencies): (request: IncomingMessage, response: ServerResponse) => void {
  const routes = buildRoutes({ ...dependencies, identity: REGISTRY_IDENTITY });
  return (request, response) => {
    void serve(routes, dependencies, request, response);
  };
}

async function serve(routes: readonly Route[], { state, acl }: Pick<HttpApiDependencies, 'state' | 'acl'>, request: IncomingMessage, response: ServerResponse): Promise<void> {
  // Ends a pending blocking query when the client goes away, so its waiter does not linger.
  const abort = new AbortController();
  response.once('close', () => abort.abort());

  let reply: Reply;
  try {
    reply = await route(routes, acl, request, abort.signal);
  } catch (error) {
    reply = error instanceof HttpError ? { status: error.status, text: error.message } : { status: 500, text: error instanceof Error ? error.message : String(error) };
  }
  if (!request.complete) request.resume(); // drain an unread body so the connection can be reused
  if (response.destroyed || response.writableEnded) return;
  writeReply(response, reply, state.index);
}

async function route(routes: readonly Route[], acl: WriteAcl, request: IncomingMessage, signal: AbortSignal): Promise<Reply> {
  const url = new URL(request.url ?? '/', 'http://registry.invalid');
  const candidates = routes.map((candidate) => ({ route: candidate, match: candidate.pattern.exec(url.pathname) })).filter((candidate) => candidate.match !== null);
  if (candidates.length === 0) return { status: 404, text: `404 page not found: ${url.pathname}` };
  const chosen = candidates.find((candidate) => candidate.route.method === request.method);
  if (chosen === undefined || chosen.match === null) {
    const allowed = [...new Set(candidates.map((candidate) => candidate.route.method))].join(', ');
    return { status: 405, text: `method ${request.method ?? '?'} not allowed`, headers: { Allow: allowed } };
  }
  // Before the body is read: a refused writer costs no parsing.
  if (chosen.route.method === 'PUT') requireWriteToken(acl, presentedToken(request.headers, url.searchParams), `write ${url.pathname}`);

  const dc = url.searchParams.get('dc');
  if (dc !== null && dc !== '' && dc !== DATACENTER) throw new HttpError(500, `No path to datacenter ${JSON.stringify(dc)}`);
  if ((url.searchParams.get('filter') ?? '') !== '') {
    throw new HttpError(400, 'filter expressions are not supported by the lbx embedded registry');
  }

  const params = chosen.match.slice(1).map((raw) => {
    try {
      return decodeURIComponent(raw ?? '');
    } catch {
      throw new HttpError(400, `Invalid URL escape in ${JSON.stringify(raw)}`);
    }
  });
  return chosen.route.handle({ params, query: url.searchParams, signal, readJson: () => readJsonBody(request) });
}

function writeReply(response: ServerResponse, reply: Reply, currentIndex: number): void {
  let body = '';
  response.statusCode = reply.status ?? 200;
  response.setHeader('X-Consul-Index', String(reply.index ?? currentIndex));
  response.setHeader('X-Consul-KnownLeader', 'true');
  response.setHeader('X-Consul-LastContact', '0');
  response.setHeader(REGISTRY_IDENTITY_HEADER, REGISTRY_IDENTITY);
  for (const [name, value] of Object.entries(reply.headers ?? {})) response.setHeader(name, value);
  if (reply.json !== undefined) {
    body = JSON.stringify(reply.json);
    response.setHeader('Content-Type', 'application/json');
  } else if (reply.text !== undefined) {
    body = reply.text;
    response.setHeader('Content-Type', 'text/plain; charset=utf-8');
  }
  response.setHeader('Content-Length', Buffer.byteLength(body));
  response.end(body);
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `Request body too large (limit ${MAX_BODY_BYTES} bytes)`);
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw decodeFailed(`invalid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
