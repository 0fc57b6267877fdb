// A backend's place in the registry and with the LB: joined at start-up with retries, kept while it runs, left on stop.
import { setTimeout as sleep } from 'node:timers/promises';

import { LoadBalancerService, type LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { LeanUnaryClient } from '../grpc/lean/lean-unary-client.js';
import { describeError } from '../process/wait-for.js';
import type { RegistrationKeeper, RegistryClient } from '../registry/registry-contract.js';
import { createRegistry } from '../registry/create-registry.js';
import { BACKEND_SERVICE, LB_SERVICE } from '../registry/service-names.js';
import { backendMeta } from './backend-meta.js';
import type { BackendOptions } from './backend-options.js';
import { AUTHORIZATION_METADATA_KEY, bearerValue } from '../grpc/bearer-token.js';
import { readTokenFile } from '../cluster/cluster-token.js';
import { isSupervised } from '../process/role-lifecycle.js';
import { retryRegistration, tryTimeoutMs, type RetryOptions } from './retry-registration.js';
import { formatHostPort } from '../../core/host-port.js';
import type { LoadReportTarget } from './load-reporter.js';

const LB_CALL_TIMEOUT_MS = 2_000;
const REGISTRY_CALL_TIMEOUT_MS = 2_000;
/**
 * How long a backend started by hand goes on trying to register. Under a supervisor there is no
 * own deadline: the supervisor's start-up timeout (`up --timeout`) decides, and stops it.
 */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

export class BackendMembership {
  readonly registry: RegistryClient;
  /**
   * The LB client; undefined until start-up has found the LB (through the registry when no address was given). Not
   * grpc-js: a backend's process holds none (see lean-grpc-server.ts).
   */
  private lbClient: LeanUnaryClient | undefined;
  /** Re-registers in a registry that lost this backend; from keepRegistered() until stopKeeping(). */
  private keeper: RegistrationKeeper | undefined;

  constructor(private readonly options: BackendOptions) {
    this.registry = createRegistry(options.registry, { requestTimeoutMs: REGISTRY_CALL_TIMEOUT_MS, clusterTokenFile: options.tokenFile });
  }

  /** Where load reports go, once the LB is known. */
  get lb(): LoadReportTarget | undefined {
    const client = this.lbClient;
    return client && { reportLoad: (report: LoadReport, timeoutMs: number) => client.call(LoadBalancerService.reportLoad, report, timeoutMs) };
  }

  /** Registers in the registry, then finds the LB and registers with it, each tried until the start-up deadline. */
  async join(port: number, address: string): Promise<void> {
    const { options, registry } = this;
    const retry = startRetryOptions(options);
    await retryRegistration(
      `registering in the registry at ${options.registry.address}`,
      () =>
        registry.register(
          { id: options.id, service: BACKEND_SERVICE, address: options.host, port, meta: backendMeta(options) },
          { kind: 'tcp', intervalMs: options.checkIntervalMs },
        ),
      retry,
    );
    options.onEvent({ type: 'registered', where: 'registry', target: options.registry.address });

    const lbAddress = options.lbAddress ?? (await retryRegistration('finding the LB in the registry', () => resolveLb(registry), retry));
    const client = new LeanUnaryClient(lbAddress, options.tokenFile ? [AUTHORIZATION_METADATA_KEY, bearerValue(readTokenFile(options.tokenFile))] : []);
    this.lbClient = client;
    await retryRegistration(`registering with the LB at ${lbAddress}`, (tries) => registerWithLb(client, options, address, tryTimeoutMs(LB_CALL_TIMEOUT_MS, tries)), retry);
    options.onEvent({ type: 'registered', where: 'lb', target: lbAddress });
  }

  /** From now on, registers again in a registry that lost this backend (a restarted registry comes back empty). */
  keepRegistered(): void {
    const { options } = this;
    this.keeper = this.registry.keepRegistered(options.id, options.checkIntervalMs, (event) =>
      options.onEvent(
        event.type === 're-registered'
          ? { type: 'registered', where: 'registry', target: `${options.registry.address} again (the registry had lost this backend)` }
          : { type: 'warning', message: `${event.message}; retrying quietly every ${options.checkIntervalMs} ms until it answers` },
      ),
    );
  }

  /** Registers with the LB again: it answered a load report with NOT_FOUND (it restarted). */
  async registerWithLbAgain(address: string): Promise<void> {
    if (this.lbClient) await registerWithLb(this.lbClient, this.options, address);
    this.options.onEvent({ type: 'registered', where: 'lb', target: 'again (the LB did not know this backend)' });
  }

  async stopKeeping(): Promise<void> {
    await this.keeper?.stop();
  }

  /**
   * Leaves the LB, then the registry, so no new work is assigned; a failure is a warning. The LB
   * first: it records why the backend left before the registry's watch reports it gone.
   */
  async leave(address: string): Promise<void> {
    const warn = (error: unknown): void => this.options.onEvent({ type: 'warning', message: `deregistration failed: ${describeError(error)}` });
    const lb = this.lbClient;
    if (lb) await lb.call(LoadBalancerService.deregisterServer, { address, reason: 'graceful' }, LB_CALL_TIMEOUT_MS).catch(warn);
    await this.registry.deregister(this.options.id).catch(warn);
  }

  close(): void {
    this.lbClient?.close();
    this.registry.close?.();
  }
}

/** Start-up tries go on until the start-up deadline, each failure's first one told as a warning. */
function startRetryOptions(options: BackendOptions): RetryOptions {
  const timeoutMs = options.startTimeoutMs ?? (isSupervised() ? Number.POSITIVE_INFINITY : DEFAULT_START_TIMEOUT_MS);
  const nowMs = (): number => performance.now();
  return {
    deadlineMs: nowMs() + timeoutMs,
    nowMs,
    sleep: (ms) => sleep(ms, undefined, options.signal === undefined ? undefined : { signal: options.signal }),
    random: Math.random,
    onFirstFailure: (message) => options.onEvent({ type: 'warning', message }),
  };
}

async function registerWithLb(lb: LeanUnaryClient, options: BackendOptions, address: string, timeoutMs = LB_CALL_TIMEOUT_MS): Promise<void> {
  await lb.call(LoadBalancerService.registerServer, { backendId: options.id, address, weight: options.weight, speed: options.speed }, timeoutMs);
}

async function resolveLb(registry: RegistryClient): Promise<string> {
  const [instance] = await registry.resolve(LB_SERVICE);
  if (instance === undefined) throw new Error(`no passing "${LB_SERVICE}" instance in the registry`);
  return formatHostPort(instance.address, instance.port);
}
