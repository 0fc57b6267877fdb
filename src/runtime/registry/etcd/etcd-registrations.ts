// The instances one etcd client registered: each a key on its own lease, kept alive until the registration ends,
// and put back on a fresh lease when etcd lost the old one.
import type { ServiceInstance } from '../registry-contract.js';
import type { EtcdGateway } from './etcd-gateway.js';

/** etcd's minimum lease TTL: a dead client's instances vanish within about this long. */
export const ETCD_LEASE_TTL_S = 2;
/** Three keepalives per TTL, so one lost or slow keepalive does not let the lease lapse. */
export const ETCD_KEEPALIVE_INTERVAL_MS = Math.round((ETCD_LEASE_TTL_S * 1_000) / 3);
/** A keepalive slower than half the TTL is abandoned, so the next one goes out in time. */
const KEEPALIVE_TIMEOUT_MS = (ETCD_LEASE_TTL_S * 1_000) / 2;

export interface Registration {
  readonly instance: ServiceInstance;
  readonly key: string;
  readonly value: string;
  leaseId: string;
  /** The keepalive loop put the key back after etcd lost the lease; the next ensureRegistered says 're-registered'. */
  wasRevived: boolean;
  reviving: Promise<void> | undefined;
  keepAliveTimer: NodeJS.Timeout | undefined;
}

export class LeasedRegistrations {
  readonly #byId = new Map<string, Registration>();

  constructor(
    private readonly gateway: EtcdGateway,
    private readonly requestTimeoutMs: number,
  ) {}

  get(id: string): Registration | undefined {
    return this.#byId.get(id);
  }

  /** Whether `registration` is still the one for its id (not deregistered, replaced or forgotten). */
  isCurrent(registration: Registration): boolean {
    return this.#byId.get(registration.instance.id) === registration;
  }

  /** Records a registration whose key is on its lease, replacing any for the same id, and starts its keepalives. */
  add(registration: Registration): void {
    this.#byId.set(registration.instance.id, registration);
    this.#keepAlive(registration);
  }

  /** Ends a registration's keepalives; its key and lease are the caller's business. */
  forget(registration: Registration): void {
    if (this.isCurrent(registration)) this.#byId.delete(registration.instance.id);
    clearTimeout(registration.keepAliveTimer);
    registration.keepAliveTimer = undefined;
  }

  forgetAll(): void {
    for (const registration of [...this.#byId.values()]) this.forget(registration);
  }

  /** Revokes a lease nobody needs any more; if etcd cannot be told, the lease runs out on its own within the TTL. */
  async revokeQuietly(leaseId: string): Promise<void> {
    await this.gateway.revokeLease(leaseId, `revoking lease ${leaseId}`).catch(() => undefined);
  }

  /** Grants a lease and puts the instance's key on it; the lease is revoked again if the put fails. */
  async putWithFreshLease(instance: ServiceInstance, key: string, value: string): Promise<string> {
    const what = `${instance.service} instance ${instance.id}`;
    const leaseId = await this.gateway.grantLease(ETCD_LEASE_TTL_S, `granting a lease for ${what}`);
    try {
      await this.gateway.put(key, value, leaseId, `registering ${what}`);
    } catch (error) {
      void this.revokeQuietly(leaseId);
      throw error;
    }
    return leaseId;
  }

  /**
   * Puts the key back with a fresh lease (etcd lost the old one: it expired during an outage, or etcd lost its data).
   * One at a time per registration; a registration deregistered meanwhile is not brought back.
   */
  revive(registration: Registration): Promise<void> {
    registration.reviving ??= (async () => {
      if (!this.isCurrent(registration)) return;
      const leaseId = await this.putWithFreshLease(registration.instance, registration.key, registration.value);
      if (!this.isCurrent(registration)) {
        await this.revokeQuietly(leaseId);
        return;
      }
      const oldLeaseId = registration.leaseId;
      registration.leaseId = leaseId;
      // No key is on the old lease any more; revoking it only spares etcd the wait for its expiry.
      if (oldLeaseId !== leaseId) void this.revokeQuietly(oldLeaseId);
    })().finally(() => {
      registration.reviving = undefined;
    });
    return registration.reviving;
  }

  /** Refreshes the lease about every ETCD_KEEPALIVE_INTERVAL_MS, start to start, until the registration ends. */
  #keepAlive(registration: Registration, delayMs = ETCD_KEEPALIVE_INTERVAL_MS): void {
    if (!this.isCurrent(registration)) return;
    registration.keepAliveTimer = setTimeout(() => {
      const startedAtMs = performance.now();
      const { id, service } = registration.instance;
      void this.gateway
        .keepAliveLease(registration.leaseId, Math.min(this.requestTimeoutMs, KEEPALIVE_TIMEOUT_MS), `keeping ${service} instance ${id} alive`)
        .then(async (ttlS) => {
          if (ttlS > 0 || !this.isCurrent(registration)) return;
          await this.revive(registration);
          registration.wasRevived = true;
        })
        // etcd unreachable: keep trying every interval; keepRegistered reports the outage to whoever listens.
        .catch(() => undefined)
        .finally(() => this.#keepAlive(registration, Math.max(0, ETCD_KEEPALIVE_INTERVAL_MS - (performance.now() - startedAtMs))));
    }, delayMs);
    // A role's own servers keep it alive; the keepalive alone must not.
    registration.keepAliveTimer.unref();
  }
}
