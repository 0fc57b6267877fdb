// The LB and its registry: the watch that feeds backends to the balancer, and the LB's own registration.
import type { Balancer, RegistryInstance } from '../../core/balancer.js';
import { formatHostPort } from '../../core/host-port.js';
import { traitsFromMeta } from '../backend/backend-meta.js';
import { waitFor } from '../process/wait-for.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import type { RegistrationKeeper, RegistryClient, RegistryWatch, ServiceInstance } from '../registry/registry-contract.js';
import { BACKEND_SERVICE, LB_SERVICE } from '../registry/service-names.js';
import { verifyBackendIdentity } from './admission-probe.js';
import { RegistryAdmission } from './registry-admission.js';

/** How long the LB waits for the registry to list it as passing before it calls itself ready. */
const REGISTRY_VISIBLE_TIMEOUT_MS = 10_000;

/** The events of LbEvent this part emits. */
export type RegistryLinkEvent = { readonly type: 'registered'; readonly service: string } | { readonly type: 'warning'; readonly message: string };

export interface RegistryLinkOptions {
  /** The LB's own id in the registry. */
  readonly id: string;
  readonly host: string;
  readonly registry: RegistryConnection;
  readonly tokenFile?: string;
  readonly checkIntervalMs: number;
  readonly onEvent: (event: RegistryLinkEvent) => void;
}

export class LbRegistryLink {
  private readonly registry: RegistryClient;
  private readonly admission: RegistryAdmission;
  private readonly watch: RegistryWatch;
  /** The watch retries every second or two while the registry is down: one warning per outage. */
  private isWatchFailing = false;
  private keeper: RegistrationKeeper | undefined;

  /** Starts watching the registry for backends at once. */
  constructor(
    private readonly options: RegistryLinkOptions,
    balancer: Balancer,
  ) {
    // The cluster token: the embedded registry takes writes (this LB's own registration) only with it.
    this.registry = createRegistry(options.registry, options.tokenFile === undefined ? {} : { clusterTokenFile: options.tokenFile });
    this.admission = new RegistryAdmission({
      isKnown: (id, address) => balancer.hasMember(id, address),
      apply: (instances) => balancer.applyRegistrySnapshot(instances),
      verify: (address) => verifyBackendIdentity(address),
      onRefused: (instance, reason) =>
        options.onEvent({ type: 'warning', message: `registry lists ${instance.id} at ${instance.address}, not admitted until it answers as an lbx backend: ${reason}` }),
    });
    this.watch = this.registry.watch(
      BACKEND_SERVICE,
      (instances) => {
        this.isWatchFailing = false;
        this.admission.snapshot(instances.map(toRegistryInstance));
      },
      (error) => {
        balancer.registryOutage();
        if (!this.isWatchFailing) options.onEvent({ type: 'warning', message: `registry watch: ${error.message}; members are kept until the registry has had time to resync` });
        this.isWatchFailing = true;
      },
    );
  }

  /** Registers the LB listening on `port` (at `address`) and waits until the registry lists it as passing. */
  async register(port: number, address: string): Promise<void> {
    const { options, registry } = this;
    await registry.register({ id: options.id, service: LB_SERVICE, address: options.host, port, meta: { role: 'lb' } }, { kind: 'tcp', intervalMs: options.checkIntervalMs });
    // Clients find the LB through the registry, so it is ready only once the registry lists it as passing.
    await waitFor(async () => ((await registry.resolve(LB_SERVICE)).some((instance) => instance.id === options.id) ? true : undefined), {
      description: `LB ${address} in the registry's passing set`,
      timeoutMs: REGISTRY_VISIBLE_TIMEOUT_MS,
      intervalMs: 25,
    });
    options.onEvent({ type: 'registered', service: LB_SERVICE });
  }

  /** From now on, registers again in a registry that lost this LB (a restarted registry comes back empty). */
  keepRegistered(): void {
    const { options } = this;
    this.keeper = this.registry.keepRegistered(options.id, options.checkIntervalMs, (event) =>
      options.onEvent(
        event.type === 're-registered'
          ? { type: 'registered', service: `${LB_SERVICE} again (the registry had lost this LB)` }
          : { type: 'warning', message: `${event.message}; retrying quietly every ${options.checkIntervalMs} ms until it answers` },
      ),
    );
  }

  /** Deregisters (a failure is a warning), then closes. */
  async leave(): Promise<void> {
    // Before deregistering, so no check in flight can register this LB again.
    await this.keeper?.stop();
    await this.registry.deregister(this.options.id).catch((error: Error) => this.options.onEvent({ type: 'warning', message: `deregistration failed: ${error.message}` }));
    this.close();
  }

  close(): void {
    this.watch.stop();
    this.admission.stop();
    this.registry.close?.();
  }
}

/** A passing backend as the balancer takes it; traits from its meta, when it announced valid ones. */
function toRegistryInstance(instance: ServiceInstance): RegistryInstance {
  const traits = traitsFromMeta(instance.meta);
  return { id: instance.id, address: formatHostPort(instance.address, instance.port), ...(traits ? { traits } : {}) };
}
