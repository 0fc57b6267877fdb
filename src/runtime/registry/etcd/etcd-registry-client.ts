// The RegistryClient for etcd: an instance is a key under /lbx/<cluster>/<service>/ attached to a lease its registering
// client keeps alive; a watch is a range followed by a watch stream, both over etcd's v3 JSON gateway.
import http from 'node:http';
import { LbxError } from '../../../core/lbx-error.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_WATCH_RETRY_MAX_MS, DEFAULT_WATCH_WAIT_MS, parseRegistryAddress } from '../registry-address.js';
import type { RegistrationKeeper, RegistryClient, RegistryWatch, ServiceInstance } from '../registry-contract.js';
import { etcdCredentialsFromEnv, type EtcdCredentials } from './etcd-auth.js';
import { createEtcdGateway, type EtcdGateway, type KeySpan } from './etcd-gateway.js';
import { encodeInstance } from './etcd-instance-value.js';
import { clusterPrefix, instanceKey, prefixRange, requireKeySegment, servicePrefix } from './etcd-keys.js';
import { startRegistrationKeeper } from '../registration-keeper.js';
import { retryDelayMs, WatchLoop } from '../watch-loop.js';
import { WatchedSet, decodeInstances } from './watched-set.js';

export const DEFAULT_ETCD_PORT = 2379;
/** etcd's minimum lease TTL: a dead client's instances vanish within about this long. */
export const ETCD_LEASE_TTL_S = 2;
/** Three keepalives per TTL, so one lost or slow keepalive does not let the lease lapse. */
export const ETCD_KEEPALIVE_INTERVAL_MS = Math.round((ETCD_LEASE_TTL_S * 1_000) / 3);
/** A keepalive slower than half the TTL is abandoned, so the next one goes out in time. */
const KEEPALIVE_TIMEOUT_MS = (ETCD_LEASE_TTL_S * 1_000) / 2;

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

interface Registration {
  readonly instance: ServiceInstance;
  readonly key: string;
  readonly value: string;
  leaseId: string;
  /** The keepalive loop put the key back after etcd lost the lease; the next ensureRegistered says 're-registered'. */
  wasRevived: boolean;
  reviving: Promise<void> | undefined;
  keepAliveTimer: NodeJS.Timeout | undefined;
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

export function createEtcdRegistryClient(options: EtcdRegistryClientOptions): RegistryClient {
  const { host, port, display: address } = parseEtcdAddress(options.address);
  const prefix = clusterPrefix(options.cluster);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const watchWaitMs = options.watchWaitMs ?? DEFAULT_WATCH_WAIT_MS;
  const watchRetryMaxMs = options.watchRetryMaxMs ?? DEFAULT_WATCH_RETRY_MAX_MS;

  // Our own agent so close() can destroy its pooled sockets; idle ones are unref'd by Node and never hold the process.
  const agent = new http.Agent({ keepAlive: true });
  const credentials = options.credentials ?? etcdCredentialsFromEnv();
  const gateway = createEtcdGateway({ address, host, port, agent, requestTimeoutMs, ...(credentials === undefined ? {} : { credentials }) });
  const registrations = new Map<string, Registration>();
  const watches = new Set<RegistryWatch>();
  const keepers = new Set<RegistrationKeeper>();
  let isClosed = false;

  const isCurrent = (registration: Registration): boolean => registrations.get(registration.instance.id) === registration;

  /** Revokes a lease nobody needs any more; if etcd cannot be told, the lease runs out on its own within the TTL. */
  const revokeQuietly = async (leaseId: string): Promise<void> => {
    await gateway.revokeLease(leaseId, `revoking lease ${leaseId}`).catch(() => undefined);
  };

  /** Grants a lease and puts the instance's key on it; the lease is revoked again if the put fails. */
  const putWithFreshLease = async (instance: ServiceInstance, key: string, value: string): Promise<string> => {
    const what = `${instance.service} instance ${instance.id}`;
    const leaseId = await gateway.grantLease(ETCD_LEASE_TTL_S, `granting a lease for ${what}`);
    try {
      await gateway.put(key, value, leaseId, `registering ${what}`);
    } catch (error) {
      void revokeQuietly(leaseId);
      throw error;
    }
    return leaseId;
  };

  /**
   * Puts the key back with a fresh lease (etcd lost the old one: it expired during an outage, or etcd lost its data).
   * One at a time per registration; a registration deregistered meanwhile is not brought back.
   */
  const revive = (registration: Registration): Promise<void> => {
    registration.reviving ??= (async () => {
      if (!isCurrent(registration)) return;
      const leaseId = await putWithFreshLease(registration.instance, registration.key, registration.value);
      if (!isCurrent(registration)) {
        await revokeQuietly(leaseId);
        return;
      }
      const oldLeaseId = registration.leaseId;
      registration.leaseId = leaseId;
      // No key is on the old lease any more; revoking it only spares etcd the wait for its expiry.
      if (oldLeaseId !== leaseId) void revokeQuietly(oldLeaseId);
    })().finally(() => {
      registration.reviving = undefined;
    });
    return registration.reviving;
  };

  /** Refreshes the lease about every ETCD_KEEPALIVE_INTERVAL_MS, start to start, until the registration ends. */
  const keepAlive = (registration: Registration, delayMs = ETCD_KEEPALIVE_INTERVAL_MS): void => {
    if (!isCurrent(registration)) return;
    registration.keepAliveTimer = setTimeout(() => {
      const startedAtMs = performance.now();
      const { id, service } = registration.instance;
      void gateway
        .keepAliveLease(registration.leaseId, Math.min(requestTimeoutMs, KEEPALIVE_TIMEOUT_MS), `keeping ${service} instance ${id} alive`)
        .then(async (ttlS) => {
          if (ttlS > 0 || !isCurrent(registration)) return;
          await revive(registration);
          registration.wasRevived = true;
        })
        // etcd unreachable: keep trying every interval; keepRegistered reports the outage to whoever listens.
        .catch(() => undefined)
        .finally(() => keepAlive(registration, Math.max(0, ETCD_KEEPALIVE_INTERVAL_MS - (performance.now() - startedAtMs))));
    }, delayMs);
    // A role's own servers keep it alive; the keepalive alone must not.
    registration.keepAliveTimer.unref();
  };

  /** Ends a registration's keepalives; its key and lease are the caller's business. */
  const forget = (registration: Registration): void => {
    if (isCurrent(registration)) registrations.delete(registration.instance.id);
    clearTimeout(registration.keepAliveTimer);
    registration.keepAliveTimer = undefined;
  };

  const client: RegistryClient = {
    // With etcd the instance's own lease is its health signal: the lease lives while this process keeps it alive,
    // and a process that dies stops its keepalives, so its key goes within the TTL. Nothing dials the instance, so
    // the HealthSignal (and deregisterCriticalAfterMs, which the lease expiry makes moot) is accepted and ignored.
    async register(instance, _health, _options) {
      requireKeySegment('service name', instance.service);
      requireKeySegment('instance id', instance.id);
      if (WILDCARD_ADDRESSES.has(instance.address)) {
        throw new LbxError('usage', `instance ${instance.id} has the wildcard address ${JSON.stringify(instance.address)}, which nobody can dial`, [
          'register the address clients should use, e.g. 127.0.0.1 or the host\'s own IP',
        ]);
      }
      if (!Number.isInteger(instance.port) || instance.port < 1 || instance.port > 65_535) {
        throw new LbxError('usage', `instance ${instance.id} has port ${instance.port}, which is not 1–65535`);
      }
      const key = instanceKey(prefix, instance.service, instance.id);
      const value = encodeInstance(instance);
      const previous = registrations.get(instance.id);
      if (previous !== undefined) await previous.reviving?.catch(() => undefined);
      const leaseId = await putWithFreshLease(instance, key, value);
      if (isClosed) {
        void revokeQuietly(leaseId);
        throw new LbxError('runtime', `the client for etcd at ${address} was closed while registering ${instance.id}`);
      }
      const registration: Registration = { instance, key, value, leaseId, wasRevived: false, reviving: undefined, keepAliveTimer: undefined };
      if (previous !== undefined) {
        forget(previous);
        // Registering an id again replaces it; under another service name the old key goes with its lease.
        if (previous.leaseId !== leaseId) void revokeQuietly(previous.leaseId);
      }
      registrations.set(instance.id, registration);
      keepAlive(registration);
    },

    async deregister(id) {
      const registration = registrations.get(id);
      if (registration !== undefined) {
        forget(registration);
        await registration.reviving?.catch(() => undefined);
        await gateway.deleteRange({ key: registration.key }, `deregistering ${id}`);
        await revokeQuietly(registration.leaseId);
        return;
      }
      // Not registered through this client (a supervisor removing a backend that died): the id under any service.
      const { kvs } = await gateway.range(prefixRange(prefix), `looking for ${id} to deregister it`);
      for (const { key } of kvs) {
        const [service, keyId, ...rest] = key.slice(prefix.length).split('/');
        if (keyId === id && rest.length === 0 && service !== '') await gateway.deleteRange({ key }, `deregistering ${id}`);
      }
    },

    async passTtl(id) {
      const registration = registrations.get(id);
      if (registration === undefined) {
        throw new LbxError('runtime', `cannot keep ${id} alive in etcd at ${address}: this client did not register it (only its owner holds its lease)`);
      }
      await registration.reviving?.catch(() => undefined);
      const ttlS = await gateway.keepAliveLease(registration.leaseId, requestTimeoutMs, `keeping ${registration.instance.service} instance ${id} alive`);
      if (ttlS === 0) await revive(registration);
    },

    async ensureRegistered(id) {
      const registration = registrations.get(id);
      if (registration === undefined) return 'not-ours';
      await registration.reviving?.catch(() => undefined);
      const { kvs } = await gateway.range({ key: registration.key }, `looking up ${id}`);
      // Deregistered while we asked: it must stay gone.
      if (!isCurrent(registration)) return 'not-ours';
      if (kvs[0] !== undefined && kvs[0].lease === registration.leaseId) {
        if (!registration.wasRevived) return 'present';
        registration.wasRevived = false;
        return 're-registered';
      }
      await revive(registration);
      registration.wasRevived = false;
      return isCurrent(registration) ? 're-registered' : 'not-ours';
    },

    keepRegistered(id, intervalMs, onEvent) {
      const keeper = startRegistrationKeeper(() => client.ensureRegistered(id), id, intervalMs, onEvent, () => keepers.delete(keeper));
      keepers.add(keeper);
      return keeper;
    },

    async resolve(service) {
      const servicePrefixKey = servicePrefix(prefix, service);
      const { kvs } = await gateway.range(prefixRange(servicePrefixKey), `resolving ${service}`);
      return decodeInstances(servicePrefixKey, service, kvs);
    },

    watch(service, onChange, onError) {
      const servicePrefixKey = servicePrefix(prefix, service);
      const watch = startEtcdWatch({
        gateway,
        span: prefixRange(servicePrefixKey),
        set: new WatchedSet(servicePrefixKey, service),
        action: `watching ${service}`,
        address,
        waitMs: watchWaitMs,
        retryMaxMs: watchRetryMaxMs,
        onChange,
        onError,
        onStop: () => watches.delete(watch),
      });
      watches.add(watch);
      return watch;
    },

    async leader() {
      return (await gateway.isHealthy('asking for its health')) ? address : '';
    },

    close() {
      isClosed = true;
      for (const watch of [...watches]) watch.stop();
      for (const keeper of [...keepers]) void keeper.stop();
      // The leases are left to run out, as a crashed process's would: close() is not deregister().
      for (const registration of [...registrations.values()]) forget(registration);
      agent.destroy();
    },
  };
  return client;
}

interface EtcdWatchSpec {
  gateway: EtcdGateway;
  span: KeySpan;
  set: WatchedSet;
  action: string;
  address: string;
  waitMs: number;
  retryMaxMs: number;
  onChange(instances: ServiceInstance[]): void;
  onError: ((error: Error) => void) | undefined;
  onStop(): void;
}

/**
 * The loop behind watch(): range the prefix (emitting the set if it changed), then follow a watch stream from the
 * range's revision + 1 for up to `waitMs`, then range again. A failed range or a stream that ends, is canceled
 * (compaction) or breaks is reported and retried with backoff from a fresh range, so the watch outlives an etcd restart.
 */
function startEtcdWatch(spec: EtcdWatchSpec): RegistryWatch {
  const loop = new WatchLoop(spec.onError);
  let stopStream: (() => void) | undefined;

  const emitChange = (): void => {
    const instances = spec.set.takeChange();
    if (instances === undefined || loop.isStopped) return;
    try {
      spec.onChange(instances);
    } catch (error) {
      loop.report(error);
    }
  };

  /** Follows one stream: resolves when its time is up (or on stop()), rejects when it fails. */
  const follow = (revision: string, onCreated: () => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // Runs finish() after the stream's time is up; finish is defined below and only called later.
      const lifetime = setTimeout(() => finish(), spec.waitMs);
      const finish = (error?: Error): void => {
        clearTimeout(lifetime);
        stopStream = undefined;
        stream.stop();
        if (error === undefined) resolve();
        else reject(error);
      };
      const failWith = (message: string): void => finish(new LbxError('runtime', `etcd at ${spec.address} ${message} while ${spec.action}`));
      const startRevision = (BigInt(revision) + 1n).toString();
      const stream = spec.gateway.watch(spec.span, startRevision, spec.action, {
        onMessage(message) {
          switch (message.kind) {
            case 'created':
              onCreated();
              return;
            case 'events':
              spec.set.apply(message.events);
              emitChange();
              return;
            case 'progress':
              return;
            case 'canceled':
              failWith(`canceled the watch (${message.reason})`);
              return;
            case 'error':
              failWith(`reported a watch error (${message.message})`);
              return;
            case 'malformed':
              failWith(`sent a watch response lbx cannot read (${message.detail})`);
              return;
          }
        },
        onEnd: (error) => finish(error),
      });
      stopStream = () => finish();
    });

  const run = async (): Promise<void> => {
    let failures = 0;
    // Ends once stop() has stopped the loop; every pass either follows a stream or pauses.
    while (!loop.isStopped) {
      try {
        const { revision, kvs } = await spec.gateway.range(spec.span, spec.action);
        if (loop.isStopped) break;
        spec.set.reset(kvs);
        emitChange();
        await follow(revision, () => {
          failures = 0;
        });
      } catch (error) {
        if (loop.isStopped) break;
        failures += 1;
        loop.report(error);
        await loop.pause(retryDelayMs(failures, spec.retryMaxMs));
      }
    }
  };
  void run();

  return {
    stop() {
      if (!loop.stop()) return;
      stopStream?.();
      spec.onStop();
    },
  };
}

