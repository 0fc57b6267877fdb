// The RegistryClient for etcd: an instance is a key under /lbx/<cluster>/<service>/ attached to a lease its registering
// client keeps alive; a watch is a range followed by a watch stream, both over etcd's v3 JSON gateway.
import http from 'node:http';
import { LbxError } from '../../../core/lbx-error.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_WATCH_RETRY_MAX_MS, DEFAULT_WATCH_WAIT_MS, parseRegistryAddress } from '../registry-address.js';
import type { HealthSignal, KeeperEvent, RegistrationKeeper, RegistryClient, RegistryWatch, ServiceInstance } from '../registry-contract.js';
import { etcdCredentialsFromEnv, type EtcdCredentials } from './etcd-auth.js';
import { createEtcdGateway, type EtcdGateway } from './etcd-gateway.js';
import { encodeInstance } from './etcd-instance-value.js';
import { clusterPrefix, instanceKey, prefixRange, requireKeySegment, servicePrefix } from './etcd-keys.js';
import { LeasedRegistrations } from './etcd-registrations.js';
import { startEtcdWatch } from './etcd-service-watch.js';
import { startRegistrationKeeper } from '../registration-keeper.js';
import { WatchedSet, decodeInstances } from './watched-set.js';

export { ETCD_KEEPALIVE_INTERVAL_MS, ETCD_LEASE_TTL_S } from './etcd-registrations.js';

export const DEFAULT_ETCD_PORT = 2379;

export interface EtcdRegistryClientOptions {
  /** host:port of an etcd client URL (plain HTTP; port 2379 when left out). */
  address: string;
  /** Keys live under /lbx/<cluster>/, so clusters sharing one etcd do not see each other. */
  cluster: string;
  requestTimeoutMs?: number;
  /**
   * How long one watch stream lasts before the watch reads the set afresh and opens another, as the Consul
   * adapter's blocking queries end after their wait: a connection that died without a reset (a host that
   * vanished) cannot hide changes for longer than this.
   */
  watchWaitMs?: number;
  /** Ceiling of the retry backoff of a watch whose etcd is unreachable. */
  watchRetryMaxMs?: number;
  /** For an etcd with auth enabled; defaults to etcdctl's ETCDCTL_USER (and ETCDCTL_PASSWORD), see etcd-auth.ts. */
  credentials?: EtcdCredentials;
}

const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::', '[::]']);

/** host (bare, for node:http), port and the host:port to show, of an etcd client address. */
export function parseEtcdAddress(address: string): { host: string; port: number; display: string } {
  const trimmed = address.trim();
  if (/^https:\/\//i.test(trimmed)) {
    throw new LbxError('usage', `etcd address ${JSON.stringify(address)} uses TLS, which lbx's etcd client does not speak`, [
      'give the plain-HTTP client URL, e.g. --registry-addr 127.0.0.1:2379',
    ]);
  }
  const bare = trimmed.replace(/^http:\/\//i, '').replace(/\/+$/, '');
  const hasPort = /^(?:\[[^\]]*\]|[^:[\]]*):\d+$/.test(bare);
  const { host, port } = parseRegistryAddress(hasPort ? bare : `${bare}:${DEFAULT_ETCD_PORT}`);
  return { host: host.replace(/^\[(.*)\]$/, '$1'), port, display: `${host}:${port}` };
}

class EtcdRegistryClient implements RegistryClient {
  /** host:port, for messages. */
  readonly #address: string;
  /** /lbx/<cluster>/: every key of this client's cluster is under it. */
  readonly #prefix: string;
  readonly #requestTimeoutMs: number;
  readonly #watchWaitMs: number;
  readonly #watchRetryMaxMs: number;
  readonly #agent: http.Agent;
  readonly #gateway: EtcdGateway;
  readonly #registrations: LeasedRegistrations;
  readonly #watches = new Set<RegistryWatch>();
  readonly #keepers = new Set<RegistrationKeeper>();
  #isClosed = false;

  constructor(options: EtcdRegistryClientOptions) {
    const { host, port, display: address } = parseEtcdAddress(options.address);
    this.#address = address;
    this.#prefix = clusterPrefix(options.cluster);
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#watchWaitMs = options.watchWaitMs ?? DEFAULT_WATCH_WAIT_MS;
    this.#watchRetryMaxMs = options.watchRetryMaxMs ?? DEFAULT_WATCH_RETRY_MAX_MS;
    // Our own agent so close() can destroy its pooled sockets; idle ones are unref'd by Node and never hold the process.
    this.#agent = new http.Agent({ keepAlive: true });
    const credentials = options.credentials ?? etcdCredentialsFromEnv();
    const requestTimeoutMs = this.#requestTimeoutMs;
    this.#gateway = createEtcdGateway({ address, host, port, agent: this.#agent, requestTimeoutMs, ...(credentials === undefined ? {} : { credentials }) });
    this.#registrations = new LeasedRegistrations(this.#gateway, requestTimeoutMs);
  }

  // With etcd the instance's own lease is its health signal: the lease lives while this process keeps it alive,
  // and a process that dies stops its keepalives, so its key goes within the TTL. Nothing dials the instance, so
  // the HealthSignal (and deregisterCriticalAfterMs, which the lease expiry makes moot) is accepted and ignored.
  async register(instance: ServiceInstance, _health: HealthSignal, _options?: { deregisterCriticalAfterMs?: number }): Promise<void> {
    requireKeySegment('service name', instance.service);
    requireKeySegment('instance id', instance.id);
    if (WILDCARD_ADDRESSES.has(instance.address)) {
      throw new LbxError('usage', `instance ${instance.id} has the wildcard address ${JSON.stringify(instance.address)}, which nobody can dial`, [
        "register the address clients should use, e.g. 127.0.0.1 or the host's own IP",
      ]);
    }
    if (!Number.isInteger(instance.port) || instance.port < 1 || instance.port > 65_535) {
      throw new LbxError('usage', `instance ${instance.id} has port ${instance.port}, which is not 1–65535`);
    }
    const registrations = this.#registrations;
    const key = instanceKey(this.#prefix, instance.service, instance.id);
    const value = encodeInstance(instance);
    const previous = registrations.get(instance.id);
    if (previous !== undefined) await previous.reviving?.catch(() => undefined);
    const leaseId = await registrations.putWithFreshLease(instance, key, value);
    if (this.#isClosed) {
      void registrations.revokeQuietly(leaseId);
      throw new LbxError('runtime', `the client for etcd at ${this.#address} was closed while registering ${instance.id}`);
    }
    if (previous !== undefined) {
      registrations.forget(previous);
      // Registering an id again replaces it; under another service name the old key goes with its lease.
      if (previous.leaseId !== leaseId) void registrations.revokeQuietly(previous.leaseId);
    }
    registrations.add({ instance, key, value, leaseId, wasRevived: false, reviving: undefined, keepAliveTimer: undefined });
  }

  async deregister(id: string): Promise<void> {
    const registration = this.#registrations.get(id);
    if (registration !== undefined) {
      this.#registrations.forget(registration);
      await registration.reviving?.catch(() => undefined);
      await this.#gateway.deleteRange({ key: registration.key }, `deregistering ${id}`);
      await this.#registrations.revokeQuietly(registration.leaseId);
      return;
    }
    // Not registered through this client (a supervisor removing a backend that died): the id under any service.
    const prefix = this.#prefix;
    const { kvs } = await this.#gateway.range(prefixRange(prefix), `looking for ${id} to deregister it`);
    for (const { key } of kvs) {
      const [service, keyId, ...rest] = key.slice(prefix.length).split('/');
      if (keyId === id && rest.length === 0 && service !== '') await this.#gateway.deleteRange({ key }, `deregistering ${id}`);
    }
  }

  async passTtl(id: string): Promise<void> {
    const registration = this.#registrations.get(id);
    if (registration === undefined) {
      throw new LbxError('runtime', `cannot keep ${id} alive in etcd at ${this.#address}: this client did not register it (only its owner holds its lease)`);
    }
    await registration.reviving?.catch(() => undefined);
    const ttlS = await this.#gateway.keepAliveLease(registration.leaseId, this.#requestTimeoutMs, `keeping ${registration.instance.service} instance ${id} alive`);
    if (ttlS === 0) await this.#registrations.revive(registration);
  }

  async ensureRegistered(id: string): Promise<'present' | 're-registered' | 'not-ours'> {
    const registrations = this.#registrations;
    const registration = registrations.get(id);
    if (registration === undefined) return 'not-ours';
    await registration.reviving?.catch(() => undefined);
    const { kvs } = await this.#gateway.range({ key: registration.key }, `looking up ${id}`);
    // Deregistered while we asked: it must stay gone.
    if (!registrations.isCurrent(registration)) return 'not-ours';
    if (kvs[0] !== undefined && kvs[0].lease === registration.leaseId) {
      if (!registration.wasRevived) return 'present';
      registration.wasRevived = false;
      return 're-registered';
    }
    await registrations.revive(registration);
    registration.wasRevived = false;
    return registrations.isCurrent(registration) ? 're-registered' : 'not-ours';
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
    const servicePrefixKey = servicePrefix(this.#prefix, service);
    const { kvs } = await this.#gateway.range(prefixRange(servicePrefixKey), `resolving ${service}`);
    return decodeInstances(servicePrefixKey, service, kvs);
  }

  watch(service: string, onChange: (instances: ServiceInstance[]) => void, onError?: (error: Error) => void): RegistryWatch {
    const servicePrefixKey = servicePrefix(this.#prefix, service);
    const watch = startEtcdWatch({
      gateway: this.#gateway,
      span: prefixRange(servicePrefixKey),
      set: new WatchedSet(servicePrefixKey, service),
      action: `watching ${service}`,
      address: this.#address,
      waitMs: this.#watchWaitMs,
      retryMaxMs: this.#watchRetryMaxMs,
      onChange,
      onError,
      onStop: () => this.#watches.delete(watch),
    });
    this.#watches.add(watch);
    return watch;
  }

  async leader(): Promise<string> {
    return (await this.#gateway.isHealthy('asking for its health')) ? this.#address : '';
  }

  close(): void {
    this.#isClosed = true;
    for (const watch of [...this.#watches]) watch.stop();
    for (const keeper of [...this.#keepers]) void keeper.stop();
    // The leases are left to run out, as a crashed process's would: close() is not deregister().
    this.#registrations.forgetAll();
    this.#agent.destroy();
  }
}

export function createEtcdRegistryClient(options: EtcdRegistryClientOptions): RegistryClient {
  return new EtcdRegistryClient(options);
}
