// Test kit for the embedded registry: an in-process registry with an event log, raw Consul HTTP calls, TCP targets.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startEmbeddedRegistry, type CatalogLimits, type EmbeddedRegistry, type RegistryEvent } from '../../src/runtime/registry/embedded/embedded-registry.js';
import { withTimeout } from './with-timeout.js';

/** Every event the registry emitted, with a way to wait for the next one that matches. */
export class EventLog {
  readonly events: RegistryEvent[] = [];
  private readonly waiters = new Set<{ predicate: (event: RegistryEvent) => boolean; resolve: (event: RegistryEvent) => void }>();

  readonly record = (event: RegistryEvent): void => {
    this.events.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.predicate(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  };

  /** A position to wait from, so an event that already happened is not mistaken for the next one. */
  mark(): number {
    return this.events.length;
  }

  /** The first matching event at or after `from` (already logged or still to come), within `ms`. */
  next(predicate: (event: RegistryEvent) => boolean, ms: number, what: string, from = 0): Promise<RegistryEvent> {
    const logged = this.events.slice(from).find(predicate);
    if (logged !== undefined) return Promise.resolve(logged);
    let waiter: { predicate: (event: RegistryEvent) => boolean; resolve: (event: RegistryEvent) => void } | undefined;
    const arrival = new Promise<RegistryEvent>((resolve) => {
      waiter = { predicate, resolve };
      this.waiters.add(waiter);
    });
    return withTimeout(arrival, ms, `waiting for ${what}`).finally(() => {
      if (waiter !== undefined) this.waiters.delete(waiter);
    });
  }
}

export interface TestRegistry {
  registry: EmbeddedRegistry;
  base: string;
  log: EventLog;
}

/** The token a test registry wants on writes, as an lbx cluster's wants its control token. */
export const TEST_REGISTRY_TOKEN = 'lbx-test-registry-token';

/** An embedded registry on loopback; writes need TEST_REGISTRY_TOKEN unless `token` is null (an open registry). */
export async function startTestRegistry(port = 0, options: { token?: string | null; limits?: CatalogLimits } = {}): Promise<TestRegistry> {
  const log = new EventLog();
  const token = options.token === undefined ? TEST_REGISTRY_TOKEN : options.token;
  const registry = await startEmbeddedRegistry({
    host: '127.0.0.1',
    port,
    nodeName: 'lbx-test-node',
    ...(token === null ? {} : { token, tokenSource: 'TEST_REGISTRY_TOKEN' }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    onEvent: log.record,
  });
  return { registry, base: `http://${registry.address}`, log };
}

export interface ConsulReply {
  status: number;
  /** X-Consul-Index as a number (NaN if absent). */
  index: number;
  headers: Headers;
  text: string;
  elapsedMs: number;
  json<T = unknown>(): T;
}

/**
 * One raw HTTP call, bounded by `timeoutMs`; a string body is sent as is, anything else as JSON.
 * It carries `token` as X-Consul-Token (the test registry's by default; null sends none).
 */
export async function consulRequest(
  base: string,
  method: 'GET' | 'PUT',
  path: string,
  body?: unknown,
  timeoutMs = 5_000,
  token: string | null = TEST_REGISTRY_TOKEN,
): Promise<ConsulReply> {
  const startedAt = performance.now();
  const init: RequestInit = { method, ...(token === null ? {} : { headers: { 'X-Consul-Token': token } }) };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await withTimeout(fetch(`${base}${path}`, init), timeoutMs, `${method} ${path}`);
  const text = await withTimeout(response.text(), timeoutMs, `body of ${method} ${path}`);
  return {
    status: response.status,
    index: Number(response.headers.get('x-consul-index')),
    headers: response.headers,
    text,
    elapsedMs: performance.now() - startedAt,
    json: <T>() => JSON.parse(text) as T,
  };
}

export interface HealthEntry {
  Node: { Node: string; Address: string };
  Service: { ID: string; Service: string; Port: number; Address: string; Meta: Record<string, string>; Tags: string[] };
  Checks: Array<{ CheckID: string; Status: string; Output: string; ServiceID: string }>;
}

/** Follows /v1/health/service with blocking queries until `predicate` holds; fails after `ms`. */
export async function untilHealth(base: string, service: string, predicate: (entries: HealthEntry[]) => boolean, ms: number, extraQuery = ''): Promise<HealthEntry[]> {
  const deadline = performance.now() + ms;
  let index = 0;
  let last: HealthEntry[] = [];
  // Bounded by the deadline: each pass blocks at most until it.
  while (performance.now() < deadline) {
    const waitMs = Math.max(1, Math.min(1_000, Math.floor(deadline - performance.now())));
    const reply = await consulRequest(base, 'GET', `/v1/health/service/${service}?index=${index}&wait=${waitMs}ms${extraQuery}`, undefined, waitMs + 2_000);
    last = reply.json<HealthEntry[]>();
    if (predicate(last)) return last;
    index = reply.index;
  }
  throw new Error(`health of ${service} did not reach the expected state within ${ms} ms; last: ${JSON.stringify(last.map((entry) => entry.Checks))}`);
}

/** A port that was free a moment ago (listen on 0, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A TCP server for checks to dial; it counts connections and closes with every socket it accepted. */
export interface TcpTarget {
  port: number;
  connections(): number;
  close(): Promise<void>;
}

export async function openTcpTarget(port = 0): Promise<TcpTarget> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
