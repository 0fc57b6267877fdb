// The load balancer's whole life: listen, watch the registry for backends, register itself, serve picks.
//
// It outlives a registry restart: a failed watch puts the balancer in its resync grace (a
// restarted registry comes back empty), the watch starts over, and the LB registers itself
// again once the registry has lost it. Backends' traits come from their registry meta, so an
// LB that restarts weighs them right before any has registered with it again.
import type { SuccessRateConfig } from '../../core/health/success-rate.js';
import type { PolicyConfig, PolicyFactory } from '../../core/policies/policy.js';
import { Balancer, type BalancerEvent } from '../../core/balancer.js';
import { LoadBalancerService } from '../wire/gen/lbx/v1/load_balancer.js';
import { BackendService } from '../wire/gen/lbx/v1/backend.js';
import { createProxyService, type ProxyService } from './proxy-service.js';
import type { ServiceBinding } from '../grpc/grpc-server.js';
import type { RegistryConnection } from '../registry/create-registry.js';
import { createLbService, pickDecisions } from './lb-service.js';
import { dialOnce, probeBackendHealth } from './admission-probe.js';
import { LbListeners, type ProxyParts } from './lb-listeners.js';
import { H2TaskForwarder } from './h2-task-forwarder.js';
import { RelayTaskForwarder } from './relay/relay-task-forwarder.js';
import { DEFAULT_PROXY_FORWARDING, type ProxyForwarding } from './proxy-forwarding.js';
import { LbRegistryLink } from './lb-registry-link.js';
import { LB_WIDE_FIELDS } from './validate-lb-request.js';
import { withTolerantDecoders } from '../grpc/wide-integers.js';
import { requireToken } from '../grpc/bearer-token.js';
import { readTokenFile } from '../cluster/cluster-token.js';
import type { LoadBalancerServer } from '../wire/gen/lbx/v1/load_balancer.js';
import { LbMetrics } from '../metrics/lb-metrics.js';
import { startMetricsServer, type RunningMetricsServer } from '../metrics/metrics-http.js';
import { startXdsServer, type RunningXdsServer } from '../xds/xds-server.js';
import { registerXdsMetrics } from '../metrics/xds-metrics.js';
import type { XdsEvent } from '../xds/xds-control-plane.js';
import type { XdsLoadWeights } from '../../core/xds/xds-plan.js';

/**
 * Who may change the LB's state: with a token file, only callers that hold the token (the
 * supervisor and the backends it started). Picks and stats stay open to any client.
 */
function guardStateChanges(service: LoadBalancerServer, tokenFile: string | undefined): LoadBalancerServer {
  if (tokenFile === undefined) return service;
  return requireToken(service, readTokenFile(tokenFile), tokenFile, ['registerServer', 'deregisterServer', 'reportLoad', 'setPolicy']);
}

export interface LbOptions {
  readonly host: string;
  readonly port: number;
  readonly id: string;
  readonly policy: PolicyFactory;
  readonly policyConfig: PolicyConfig;
  /** lookaside: clients call backends themselves · proxy: the LB also serves Backend and forwards. */
  readonly mode: LbMode;
  /** Proxy mode only: h2 (default) passes each task's HTTP/2 stream through; grpc decodes and re-encodes it in grpc-js. */
  readonly proxyForwarding?: ProxyForwarding;
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
  /** Success-rate ejection's settings; A50's defaults when absent. */
  readonly successRate?: SuccessRateConfig;
  /** Outlier detection (every kind of ejection); on when absent. SetPolicy's outlier_detection switches it later. */
  readonly outlierDetection?: boolean;
  /** Where stock xDS clients get a load-aware policy's weights: pushed by the LB (default), or the backends' ORCA reports. */
  readonly xdsLoadWeights?: XdsLoadWeights;
  readonly onEvent: (event: LbEvent) => void;
}

import type { LbMode } from './lb-mode.js';

export { LB_MODES, type LbMode } from './lb-mode.js';

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

/**
 * Starts the parts in order: balancer, gRPC server, the listeners beside it (xDS, metrics: each one
 * LbListeners.add), then the registry link. A failed start stops what was started; stop() leaves
 * the registry first, then stops the listeners.
 */
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
  const balancer = createBalancer(options, nowMs, onBalancerEvent);
  metrics?.meter(balancer);
  // Validates the settings before anything listens: a bad one fails start-up with its message.
  balancer.setPolicy(options.policy, options.policyConfig);
  if (options.slowStartMs !== undefined) balancer.setSlowStart(options.slowStartMs);
  if (options.successRate !== undefined) balancer.setSuccessRate(options.successRate);
  if (options.outlierDetection === false) balancer.setOutlierDetection(false);
  const proxy = createProxyParts(options, balancer);
  const onWarning = (message: string): void => options.onEvent({ type: 'warning', message });
  // Look-aside clients of lbx's own ask for picks on the pick socket, on the same port as every gRPC call.
  const picks = proxy === undefined ? pickDecisions(balancer, nowMs) : undefined;
  const listeners = await LbListeners.start(options.host, options.port, lbServiceBindings(options, balancer, metrics, proxy?.service), proxy, onWarning, picks);
  const server = { address: listeners.address, port: listeners.port };
  options.onEvent({ type: 'listening', address: server.address });
  if (options.xdsPort !== undefined) {
    const xdsPort = options.xdsPort;
    const running = await listeners.add(() => startXdsServer({ host: options.host, port: xdsPort, balancer, loadWeights: options.xdsLoadWeights, onEvent: options.onEvent }));
    xds = running;
    options.onEvent({ type: 'xds-listening', address: running.address });
    if (metrics) registerXdsMetrics(metrics.registry, () => running.status());
  }
  let metricsServer: RunningMetricsServer | undefined;
  if (metrics && options.metricsPort !== undefined) {
    const metricsPort = options.metricsPort;
    metricsServer = await listeners.add(() => startMetricsServer(options.host, metricsPort, metrics));
    options.onEvent({ type: 'metrics', url: `http://${metricsServer.address}/metrics` });
  }

  const registryLink = new LbRegistryLink(options, balancer);
  try {
    await registryLink.register(server.port, server.address);
  } catch (error) {
    registryLink.close();
    await listeners.abort();
    throw error;
  }
  registryLink.keepRegistered();

  return {
    address: server.address,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    ...(xds ? { xds } : {}),
    stop: async (graceMs) => {
      await registryLink.leave();
      await listeners.stop(graceMs);
    },
  };
}

/** Proxy mode's forwarding: the grpc-js Backend service always (GetLoad, health), and the frame relay or the node:http2 forwarder unless grpc forwarding was asked for. */
function createProxyParts(options: LbOptions, balancer: Balancer): ProxyParts | undefined {
  if (options.mode !== 'proxy') return undefined;
  const service = createProxyService(balancer);
  switch (options.proxyForwarding ?? DEFAULT_PROXY_FORWARDING) {
    case 'relay':
      return { service, relay: new RelayTaskForwarder(balancer) };
    case 'h2':
      return { service, h2: new H2TaskForwarder(balancer) };
    case 'grpc':
      return { service };
  }
}

/** The balancer, probing a backend itself when clients report failures. */
function createBalancer(options: LbOptions, nowMs: () => number, onEvent: (event: BalancerEvent) => void): Balancer {
  // One client's failure reports only make the LB look for itself (see Balancer.recordOutcome).
  const probeBackend = (address: string): void => void probeBackendHealth(address).then((failure) => balancer.probeResult(address, failure === undefined));
  const balancer = new Balancer(options.policy, { random: Math.random, nowMs, wallMs: Date.now, probeBackend }, onEvent);
  return balancer;
}

/** What the gRPC port serves: lbx.v1.LoadBalancer (token-guarded, metered), and lbx.v1.Backend in proxy mode. */
function lbServiceBindings(options: LbOptions, balancer: Balancer, metrics: LbMetrics | undefined, proxy: ProxyService | undefined): ServiceBinding[] {
  const lbService = guardStateChanges(
    createLbService({ balancer, reportIntervalMs: options.reportIntervalMs, startedAtUnixMs: Date.now(), verifyAddress: dialOnce }),
    options.tokenFile,
  );
  return [
    {
      name: 'lbx.v1.LoadBalancer',
      definition: withTolerantDecoders(LoadBalancerService, LB_WIDE_FIELDS),
      implementation: metrics ? metrics.instrument(lbService) : lbService,
    },
    ...(proxy ? [{ name: 'lbx.v1.Backend', definition: BackendService, implementation: proxy.implementation }] : []),
  ];
}
