// The Consul adapter of the registry contract, used against a real Consul and the embedded registry alike, built on the consul npm client.

import { EventEmitter } from 'node:events';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import Consul from 'consul';
import { LbxError } from '../../core/lbx-error.js';
import { startRegistrationKeeper } from './registration-keeper.js';
import { retryDelayMs, WatchLoop } from './watch-loop.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_WATCH_RETRY_MAX_MS, DEFAULT_WATCH_WAIT_MS, parseRegistryAddress } from './registry-address.js';
import type { HealthSignal, KeeperEvent, RegistrationKeeper, RegistryClient, RegistryWatch, ServiceInstance } from './registry-contract.js';

export interface RegistryClientOptions {
  /** host:port of a Consul agent or the embedded registry. */
  address: string;
  /**
   * ACL token, sent as X-Consul-Token on every call; defaults to $CONSUL_HTTP_TOKEN, as Consul's own
   * clients do. An embedded registry started by lbx wants the cluster token for writes (see create-registry.ts).
   */
  token?: string;
  requestTimeoutMs?: number;
  /** How long each blocking query of a watch may wait for a change. */
  watchWaitMs?: number;
  /** Ceiling of the retry backoff of a watch whose registry is unreachable. */
  watchRetryMaxMs?: number;
}

/** Pause after a blocking query that returned at once with nothing new, so a server that does not block cannot make us spin. */
export const WATCH_EARLY_RETURN_PAUSE_MS = 100;
/** Consul may hold a blocking query up to wait/16 longer than asked. */
const BLOCKING_JITTER_DIVISOR = 16;

// The slice of the consul client used here, typed with the options it accepts (its .d.ts omits ctx, timeout, index and wait).
interface CallOptions {
  timeout: number;
  ctx?: EventEmitter;
}
interface ConsulCalls {
  agent: {
    service: {
      register(options: CallOptions & Record<string, unknown>): Promise<unknown>;
      deregister(options: CallOptions & { id: string }): Promise<unknown>;
    };
    check: { pass(options: CallOptions & { id: string; note?: string }): Promise<unknown> };
  };
  health: {
    service(options: CallOptions & { service: string; passing: boolean; index?: string; wait?: string }): Promise<unknown>;
  };
  status: { leader(options: CallOptions): Promise<unknown> };
  /**
   * papi's request method, on which the consul client builds its own calls: used for GET
   * /v1/agent/service/:id, which the client lacks. Resolves to the response; a non-2xx rejects.
   */
  _get(request: { name: string; path: string; params: Record<string, string>; headers: Record<string, string>; timeout: number }): Promise<unknown>;
}

interface Registration {
  instance: ServiceInstance;
  health: HealthSignal;
  options: { deregisterCriticalAfterMs?: number };
}

/** What a failed call from the consul client (papi underneath) amounts to. */
type CallFailure = { kind: 'unreachable'; code: string } | { kind: 'timeout' } | { kind: 'status'; status: number; text: string } | { kind: 'other'; message: string };

/** The Consul-API client: what it registered (to register again after the registry lost it), its watches and keepers. */
class ConsulRegistryClient implements RegistryClient {
  /** host:port as given, for messages. */
  readonly #address: string;
  readonly #requestTimeoutMs: number;
  readonly #watchWaitMs: number;
  readonly #watchRetryMaxMs: number;
  /** Sent as X-Consul-Token when set. */
  readonly #token: string | undefined;
  readonly #agent: http.Agent;
  readonly #consul: ConsulCalls;
  readonly #registrations = new Map<string, Registration>();
  readonly #watches = new Set<RegistryWatch>();
  readonly #keepers = new Set<RegistrationKeeper>();

  constructor(options: RegistryClientOptions) {
    const { host, port } = parseRegistryAddress(options.address);
    this.#address = options.address;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#watchWaitMs = options.watchWaitMs ?? DEFAULT_WATCH_WAIT_MS;
    this.#watchRetryMaxMs = options.watchRetryMaxMs ?? DEFAULT_WATCH_RETRY_MAX_MS;
    // Every role and command builds its client here, so the environment variable reaches them all.
    const token = options.token ?? (process.env['CONSUL_HTTP_TOKEN'] || undefined);
    this.#token = token;
    // Our own agent so close() can destroy its pooled sockets; idle ones are unref'd by Node and never hold the process.
    const agent = new http.Agent({ keepAlive: true });
    this.#agent = agent;
    const consul = new Consul({ host, port, agent, ...(token ? { defaults: { token } } : {}) }) as unknown as ConsulCalls;
    // papi keeps WHATWG URL's bracketed IPv6 hostname ("[::1]"), which http.request would look up as a name.
    const baseUrl = (consul as unknown as { _opts?: { baseUrl?: { hostname?: string } } })._opts?.baseUrl;
    if (baseUrl?.hostname?.startsWith('[')) baseUrl.hostname = baseUrl.hostname.slice(1, -1);
    this.#consul = consul;
  }

  async register(instance: ServiceInstance, health: HealthSignal, registerOptions: { deregisterCriticalAfterMs?: number } = {}): Promise<void> {
    const check = describeCheck(instance, health, registerOptions);
    await this.#call(`registering ${instance.service} instance ${instance.id}`, () =>
      this.#consul.agent.service.register({
        name: instance.service,
        id: instance.id,
        address: instance.address,
        port: instance.port,
        meta: instance.meta,
        check,
        timeout: this.#requestTimeoutMs,
      }),
    );
    this.#registrations.set(instance.id, { instance, health, options: registerOptions });
  }

  async deregister(id: string): Promise<void> {
    this.#registrations.delete(id);
    try {
      await this.#consul.agent.service.deregister({ id, timeout: this.#requestTimeoutMs });
    } catch (error) {
      const failure = classifyFailure(error);
      const isUnknown = failure.kind === 'status' && (failure.status === 404 || /unknown service/i.test(failure.text));
      if (!isUnknown) throw toLbxError(error, this.#address, `deregistering ${id}`, this.#requestTimeoutMs);
    }
  }

  async passTtl(id: string): Promise<void> {
    const checkId = `service:${id}`;
    try {
      await this.#passTtlOnce(checkId);
    } catch (error) {
      const saved = this.#registrations.get(id);
      if (saved === undefined || !isUnknownCheck(classifyFailure(error))) {
        throw toLbxError(error, this.#address, `passing TTL check ${checkId}`, this.#requestTimeoutMs);
      }
      // The registry lost the check (it restarted, or reaped the service): register again, then report.
      await this.register(saved.instance, saved.health, saved.options);
      await this.#call(`passing TTL check ${checkId}`, () => this.#passTtlOnce(checkId));
    }
  }

  async ensureRegistered(id: string): Promise<'present' | 're-registered' | 'not-ours'> {
    const saved = this.#registrations.get(id);
    if (saved === undefined) return 'not-ours';
    try {
      await this.#consul._get({
        name: 'agent.service.get',
        path: '/agent/service/{id}',
        params: { id },
        headers: this.#token ? { 'x-consul-token': this.#token } : {},
        timeout: this.#requestTimeoutMs,
      });
      return 'present';
    } catch (error) {
      const failure = classifyFailure(error);
      if (failure.kind !== 'status' || failure.status !== 404) throw toLbxError(error, this.#address, `looking up ${id}`, this.#requestTimeoutMs);
    }
    // Deregistered while we asked: it must stay gone.
    if (this.#registrations.get(id) !== saved) return 'not-ours';
    await this.register(saved.instance, saved.health, saved.options);
    return 're-registered';
  }

  keepRegistered(id: string, intervalMs: number, onEvent: (event: KeeperEvent) => void): RegistrationKeeper {
    const keeper = startRegistrationKeeper(
      () => this.ensureRegistered(id),
      id,
      intervalMs,
      onEvent,
      () => this.#keepers.delete(keeper),
    );
    this.#keepers.add(keeper);
    return keeper;
  }

  async resolve(service: string): Promise<ServiceInstance[]> {
    const body = await this.#call(`resolving ${service}`, () => this.#consul.health.service({ service, passing: true, timeout: this.#requestTimeoutMs }));
    return toInstances(body, this.#address);
  }

  watch(service: string, onChange: (instances: ServiceInstance[]) => void, onError?: (error: Error) => void): RegistryWatch {
    const watchWaitMs = this.#watchWaitMs;
    // The server may hold the query for wait + wait/16; allow that plus an ordinary request's time.
    const queryTimeoutMs = Math.ceil(watchWaitMs + watchWaitMs / BLOCKING_JITTER_DIVISOR + this.#requestTimeoutMs);
    const watch = startWatch({
      service,
      address: this.#address,
      waitMs: watchWaitMs,
      retryMaxMs: this.#watchRetryMaxMs,
      queryTimeoutMs,
      query: (index, ctx) =>
        this.#consul.health.service({
          service,
          passing: true,
          index,
          wait: `${watchWaitMs}ms`,
          timeout: queryTimeoutMs,
          ctx,
        }),
      onChange,
      onError,
      onStop: () => this.#watches.delete(watch),
    });
    this.#watches.add(watch);
    return watch;
  }

  async leader(): Promise<string> {
    const body = await this.#call('asking for the leader', () => this.#consul.status.leader({ timeout: this.#requestTimeoutMs }));
    return typeof body === 'string' ? body : '';
  }

  close(): void {
    for (const watch of [...this.#watches]) watch.stop();
    for (const keeper of [...this.#keepers]) void keeper.stop();
    this.#agent.destroy();
  }

  /** Runs one call, turning any failure into an LbxError that names the registry, the action and the cause. */
  async #call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toLbxError(error, this.#address, action, this.#requestTimeoutMs);
    }
  }

  #passTtlOnce(checkId: string): Promise<unknown> {
    return this.#consul.agent.check.pass({ id: checkId, timeout: this.#requestTimeoutMs });
  }
}

export function createConsulRegistryClient(options: RegistryClientOptions): RegistryClient {
  return new ConsulRegistryClient(options);
}

interface WatchSpec {
  service: string;
  address: string;
  waitMs: number;
  retryMaxMs: number;
  queryTimeoutMs: number;
  /** One blocking query; resolves to [response, body] because ctx asks papi to include the response. */
  query(index: string, ctx: EventEmitter): Promise<unknown>;
  onChange(instances: ServiceInstance[]): void;
  onError: ((error: Error) => void) | undefined;
  onStop(): void;
}

/** The blocking-query loop behind watch(); it runs until stop(), which cancels the request or pause in flight. */
function startWatch(spec: WatchSpec): RegistryWatch {
  const loop = new WatchLoop(spec.onError);
  let inFlight: EventEmitter | undefined;

  const run = async (): Promise<void> => {
    let index = '0';
    let lastSetKey: string | undefined;
    let failures = 0;
    // Ends once stop() has stopped the loop; every pass either waits on the server or pauses.
    while (!loop.isStopped) {
      const sentIndex = index;
      const startedAtMs = performance.now();
      try {
        // A fresh context per request: papi reads includeResponse from it, and stop() cancels through it.
        inFlight = Object.assign(new EventEmitter(), { includeResponse: true });
        const [response, body] = (await spec.query(sentIndex, inFlight)) as [http.IncomingMessage, unknown];
        if (loop.isStopped) break;
        failures = 0;
        const instances = toInstances(body, spec.address);
        // A lower index than ours means the registry restarted: its answer is current, so take its index as is.
        const returnedIndex = Number(response.headers['x-consul-index']);
        index = String(Number.isSafeInteger(returnedIndex) && returnedIndex >= 1 ? returnedIndex : 1);

        const setKey = JSON.stringify(instances);
        if (setKey !== lastSetKey) {
          lastSetKey = setKey;
          try {
            spec.onChange(instances);
          } catch (error) {
            loop.report(error);
          }
        } else if (index === sentIndex && performance.now() - startedAtMs < spec.waitMs / 2) {
          await loop.pause(WATCH_EARLY_RETURN_PAUSE_MS);
        }
      } catch (error) {
        if (loop.isStopped) break;
        failures += 1;
        // The registry may have restarted (an embedded one, or consul -dev, comes back empty at a
        // low index). Consul holds a query whose index is above its own until `wait` ends, so our
        // old index could keep us blind for the whole wait; index 0 asks for the current set at once.
        index = '0';
        loop.report(toLbxError(error, spec.address, `watching ${spec.service}`, spec.queryTimeoutMs));
        await loop.pause(retryDelayMs(failures, spec.retryMaxMs));
      }
    }
  };
  void run();

  return {
    stop() {
      if (!loop.stop()) return;
      inFlight?.emit('cancel');
      spec.onStop();
    },
  };
}

const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::']);

const toGoDuration = (ms: number): string => `${Math.max(1, Math.round(ms))}ms`;

/** The check definition in the consul client's lower-case option names. */
function describeCheck(instance: ServiceInstance, health: HealthSignal, options: { deregisterCriticalAfterMs?: number }): Record<string, unknown> {
  const requirePositive = (name: string, value: number | undefined): void => {
    if (value !== undefined && !(value > 0)) {
      throw new LbxError('usage', `${name} must be a positive number of milliseconds (got ${value}) for ${instance.id}`);
    }
  };
  let check: Record<string, unknown>;
  if (health.kind === 'tcp') {
    requirePositive('intervalMs', health.intervalMs);
    requirePositive('timeoutMs', health.timeoutMs);
    // The agent dials from the instance's own machine, so an unspecified address means loopback.
    const host = WILDCARD_ADDRESSES.has(instance.address) ? '127.0.0.1' : instance.address;
    check = {
      tcp: host.includes(':') ? `[${host}]:${instance.port}` : `${host}:${instance.port}`,
      interval: toGoDuration(health.intervalMs),
      ...(health.timeoutMs !== undefined ? { timeout: toGoDuration(health.timeoutMs) } : {}),
    };
  } else {
    requirePositive('ttlMs', health.ttlMs);
    check = { ttl: toGoDuration(health.ttlMs) };
  }
  if (options.deregisterCriticalAfterMs !== undefined) {
    requirePositive('deregisterCriticalAfterMs', options.deregisterCriticalAfterMs);
    check['deregistercriticalserviceafter'] = toGoDuration(options.deregisterCriticalAfterMs);
  }
  return check;
}

/** /v1/health/service entries as instances, sorted by ID; an empty service address means the node's, as in Consul. */
function toInstances(body: unknown, address: string): ServiceInstance[] {
  if (!Array.isArray(body)) {
    throw new LbxError('runtime', `registry at ${address} sent an unexpected health reply (not a list)`);
  }
  const asRecord = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});
  const instances = body.map((entry): ServiceInstance => {
    const service = asRecord(asRecord(entry)['Service']);
    const node = asRecord(asRecord(entry)['Node']);
    const meta = Object.fromEntries(Object.entries(asRecord(service['Meta'])).filter((pair): pair is [string, string] => typeof pair[1] === 'string'));
    const serviceAddress = typeof service['Address'] === 'string' ? service['Address'] : '';
    const nodeAddress = typeof node['Address'] === 'string' ? node['Address'] : '';
    return {
      id: String(service['ID'] ?? ''),
      service: String(service['Service'] ?? ''),
      address: serviceAddress !== '' ? serviceAddress : nodeAddress,
      port: Number(service['Port'] ?? 0),
      meta,
    };
  });
  return instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function classifyFailure(error: unknown): CallFailure {
  const failure = (error ?? {}) as {
    code?: unknown;
    isTimeout?: boolean;
    isResponse?: boolean;
    response?: { statusCode?: number; body?: unknown };
    message?: string;
  };
  if (failure.isTimeout === true) return { kind: 'timeout' };
  if (failure.isResponse === true && failure.response !== undefined) {
    const body = failure.response.body;
    const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : (failure.message ?? '');
    return { kind: 'status', status: failure.response.statusCode ?? 0, text: text.trim() };
  }
  if (typeof failure.code === 'string' && failure.code !== '') return { kind: 'unreachable', code: failure.code };
  return { kind: 'other', message: failure.message ?? String(error) };
}

/** A pass that failed because the registry does not know the check (Consul says 404, or 500 "does not have associated TTL"). */
const isUnknownCheck = (failure: CallFailure): boolean => failure.kind === 'status' && (failure.status === 404 || /unknown check|does not have associated TTL/i.test(failure.text));

function toLbxError(error: unknown, address: string, action: string, timeoutMs: number): LbxError {
  if (error instanceof LbxError) return error;
  const failure = classifyFailure(error);
  const message = (() => {
    switch (failure.kind) {
      case 'unreachable':
        return `registry at ${address} unreachable (${failure.code}) while ${action}`;
      case 'timeout':
        return `registry at ${address} did not answer within ${timeoutMs} ms while ${action}`;
      case 'status':
        return `registry at ${address} answered HTTP ${failure.status} while ${action}${failure.text === '' ? '' : `: ${failure.text}`}`;
      case 'other':
        return `registry at ${address} failed while ${action}: ${failure.message}`;
    }
  })();
  return new LbxError('runtime', message, [], { cause: error });
}
