// The load balancer's whole life: listen, watch the registry for backends, register itself, serve picks.
//
// It outlives a registry restart: a failed watch puts the balancer in its resync grace (a
// restarted registry comes back empty), the watch starts over, and the LB registers itself
// again once the registry has lost it. Backends' traits come from their registry meta, so an
// LB that restarts weighs them right before any has registered with it again.
import type { PolicyConfig, PolicyFactory } from '../../core/policies/policy.js';
import { Balancer, type BalancerEvent, type RegistryInstance } from '../../core/balancer.js';
import { LoadBalancerService } from '../wire/gen/lbx/v1/load_balancer.js';
import { BackendService } from '../wire/gen/lbx/v1/backend.js';
import { createProxyService } from './proxy-service.js';
import { startGrpcServer } from '../grpc/grpc-server.js';
import { waitFor } from '../process/wait-for.js';
import { traitsFromMeta } from '../backend/backend-meta.js';
import type { ServiceInstance } from '../registry/registry-contract.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import { BACKEND_SERVICE, LB_SERVICE } from '../registry/service-names.js';
import { createLbService } from './lb-service.js';
import { dialOnce, probeBackendHealth, verifyBackendIdentity } from './admission-probe.js';
import { RegistryAdmission } from './registry-admission.js';
import { LB_WIDE_FIELDS } from './validate-lb-request.js';
import { withTolerantDecoders } from '../grpc/wide-integers.js';
import { readTokenFile, requireToken } from '../grpc/bearer-token.js';
import type { LoadBalancerServer } from '../wire/gen/lbx/v1/load_balancer.js';
import { LbMetrics } from '../metrics/lb-metrics.js';
import { startMetricsServer, type RunningMetricsServer } from '../metrics/metrics-http.js';
import { formatHostPort } from '../../core/host-port.js';
import { startXdsServer, type RunningXdsServer } from '../xds/xds-server.js';
import { registerXdsMetrics } from '../metrics/xds-metrics.js';
import type { XdsEvent } from '../xds/xds-control-plane.js';

/**
 * Who may change the LB's state: with a token file, only callers that hold the token (the
 * supervisor and the backends it started). Picks and stats stay open to any client.
 */
function guardStateChanges(service: LoadBalancerServer, tokenFile: string | undefined): LoadBalancerServer {
  if (tokenFile === undefined) return service;
  return requireToken(service, readTokenFile(tokenFile), tokenFile, ['registerServer', 'deregisterServer', 'reportLoad', 'setPolicy']);
}

/** How long the LB waits for the registry to list it as passing before it calls itself ready. */
const REGISTRY_VISIBLE_TIMEOUT_MS = 10_000;

export interface LbOptions {
  readonly host: string;
  readonly port: number;
  readonly id: string;
  readonly policy: PolicyFactory;
  readonly policyConfig: PolicyConfig;
  /** lookaside: clients call backends themselves · proxy: the LB also serves Backend and forwards. */
  readonly mode: LbMode;
  /** The registry it watches for backends and registers itself in (Consul API or etcd). */
  readonly registry: RegistryConnection;
  readonly reportIntervalMs: number;
  readonly checkIntervalMs: number;
  /** The cluster token file: RegisterServer, DeregisterServer, ReportLoad and SetPolicy then require its token. */
  readonly tokenFile?: string;
  /** Serve Prometheus metrics over HTTP on this port (host as above); none when absent. */
  readonly metricsPort?: number;
  /** Serve xDS (ADS) to stock gRPC clients on this port (host as above); none when absent. */
  readonly xdsPort?: number;
  /** Slow start window for joining backends; off when absent. */
  readonly slowStartMs?: number;
  readonly onEvent: (event: LbEvent) => void;
}

export const LB_MODES = ['lookaside', 'proxy'] as const;
export type LbMode = (typeof LB_MODES)[number];

export type LbEvent =
  | BalancerEvent
  | XdsEvent
  | { readonly type: 'xds-listening'; readonly address: string }
  | { readonly type: 'listening'; readonly address: string }
  | { readonly type: 'metrics'; readonly url: string }
  | { readonly type: 'registered'; readonly service: string }
  | { readonly type: 'warning'; readonly message: string };

export interface RunningLb {
  readonly address: string;
  /** host:port of the metrics listener, when it serves metrics. */
  readonly metricsAddress?: string;
  /** The xDS control plane, when it serves one. */
  readonly xds?: RunningXdsServer;
  stop(graceMs: number): Promise<void>;
}

export async function startLb(options: LbOptions): Promise<RunningLb> {
  const nowMs = (): number => performance.now();
  const metrics = options.metricsPort === undefined ? undefined : new LbMetrics({ nowMs, includeProcessMetrics: true });
  // Every membership, health or policy change reaches stock clients through the xDS control plane too.
  let xds: RunningXdsServer | undefined;
  const onBalancerEvent = (event: BalancerEvent): void => {
    metrics?.onBalancerEvent(event);
    options.onEvent(event);
    xds?.publish();
  };
  // One client's failure reports only make the LB look for itself (see Balancer.recordOutcome).
  const probeBackend = (address: string): void =>
    void probeBackendHealth(address).then((failure) => balancer.probeResult(address, failure === undefined));
  const balancer = new Balancer(options.policy, { random: Math.random, nowMs, wallMs: Date.now, probeBackend }, onBalancerEvent);
  metrics?.meter(balancer);
  // Validates the settings before anything listens: a bad one fails start-up with its message.
  balancer.setPolicy(options.policy, options.policyConfig);
  if (options.slowStartMs !== undefined) balancer.setSlowStart(options.slowStartMs);
  const proxy = options.mode === 'proxy' ? createProxyService(balancer) : undefined;
  const lbService = guardStateChanges(createLbService({ balancer, reportIntervalMs: options.reportIntervalMs, startedAtUnixMs: Date.now(), verifyAddress: dialOnce }), options.tokenFile);
  const server = await startGrpcServer(options.host, options.port, [
    {
      name: 'lbx.v1.LoadBalancer',
      definition: withTolerantDecoders(LoadBalancerService, LB_WIDE_FIELDS),
      implementation: metrics ? metrics.instrument(lbService) : lbService,
    },
    ...(proxy ? [{ name: 'lbx.v1.Backend', definition: BackendService, implementation: proxy.implementation }] : []),
  ]);
  options.onEvent({ type: 'listening', address: server.address });
  if (options.xdsPort !== undefined) {
    try {
      xds = await startXdsServer({ host: options.host, port: options.xdsPort, balancer, onEvent: options.onEvent });
    } catch (error) {
      proxy?.close();
      await server.stop(0);
      throw error;
    }
    options.onEvent({ type: 'xds-listening', address: xds.address });
    const running = xds;
    if (metrics) registerXdsMetrics(metrics.registry, () => running.status());
  }
  let metricsServer: RunningMetricsServer | undefined;
  if (metrics && options.metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer(options.host, options.metricsPort, metrics);
    } catch (error) {
      proxy?.close();
      await xds?.stop();
      await server.stop(0);
      throw error;
    }
    options.onEvent({ type: 'metrics', url: `http://${metricsServer.address}/metrics` });
  }

  // The cluster token: the embedded registry takes writes (this LB's own registration) only with it.
  const registry = createRegistry(options.registry, options.tokenFile === undefined ? {} : { clusterTokenFile: options.tokenFile });
  const admission = new RegistryAdmission({
    isKnown: (id, address) => balancer.hasMember(id, address),
    apply: (instances) => balancer.applyRegistrySnapshot(instances),
    verify: (address) => verifyBackendIdentity(address),
    onRefused: (instance, reason) =>
      options.onEvent({ type: 'warning', message: `registry lists ${instance.id} at ${instance.address}, not admitted until it answers as an lbx backend: ${reason}` }),
  });
  // The watch retries every second or two while the registry is down: one warning per outage.
  let isWatchFailing = false;
  const watch = registry.watch(
    BACKEND_SERVICE,
    (instances) => {
      isWatchFailing = false;
      admission.snapshot(instances.map(toRegistryInstance));
    },
    (error) => {
      balancer.registryOutage();
      if (!isWatchFailing) options.onEvent({ type: 'warning', message: `registry watch: ${error.message}; members are kept until the registry has had time to resync` });
      isWatchFailing = true;
    },
  );

  try {
    await registry.register(
      { id: options.id, service: LB_SERVICE, address: options.host, port: server.port, meta: { role: 'lb' } },
      { kind: 'tcp', intervalMs: options.checkIntervalMs },
    );
    // Clients find the LB through the registry, so it is ready only once the registry lists it as passing.
    await waitFor(
      async () => ((await registry.resolve(LB_SERVICE)).some((instance) => instance.id === options.id) ? true : undefined),
      { description: `LB ${server.address} in the registry's passing set`, timeoutMs: REGISTRY_VISIBLE_TIMEOUT_MS, intervalMs: 25 },
    );
    options.onEvent({ type: 'registered', service: LB_SERVICE });
  } catch (error) {
    watch.stop();
    admission.stop();
    registry.close?.();
    proxy?.close();
    await metricsServer?.stop();
    await xds?.stop();
    await server.stop(0);
    throw error;
  }

  const keeper = registry.keepRegistered(options.id, options.checkIntervalMs, (event) =>
    options.onEvent(
      event.type === 're-registered'
        ? { type: 'registered', service: `${LB_SERVICE} again (the registry had lost this LB)` }
        : { type: 'warning', message: `${event.message}; retrying quietly every ${options.checkIntervalMs} ms until it answers` },
    ),
  );

  return {
    address: server.address,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    ...(xds ? { xds } : {}),
    stop: async (graceMs) => {
      // Before deregistering, so no check in flight can register this LB again.
      await keeper.stop();
      await registry.deregister(options.id).catch((error: Error) => options.onEvent({ type: 'warning', message: `deregistration failed: ${error.message}` }));
      watch.stop();
      admission.stop();
      registry.close?.();
      // Picks are answered synchronously; in proxy mode forwarded tasks get the grace to finish.
      await server.stop(graceMs, proxy ? undefined : () => true);
      proxy?.close();
      await metricsServer?.stop();
      await xds?.stop();
    },
  };
}

/** A passing backend as the balancer takes it; traits from its meta, when it announced valid ones. */
function toRegistryInstance(instance: ServiceInstance): RegistryInstance {
  const traits = traitsFromMeta(instance.meta);
  return { id: instance.id, address: formatHostPort(instance.address, instance.port), ...(traits ? { traits } : {}) };
}
