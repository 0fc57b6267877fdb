// A backend's whole life: listen, then register (registry, then LB), report load, and drain on stop.
//
// Listening comes first: the source system registered in Consul before it listened, and
// clients that found it early failed every request. While it runs it makes sure the registry
// still has it (a restarted registry comes back empty) and the LB too (a restarted LB answers
// its load reports with NOT_FOUND, and it registers again).
import { setTimeout as sleep } from 'node:timers/promises';

import { credentials } from '@grpc/grpc-js';

import { BackendService, type BackendServer } from '../wire/gen/lbx/v1/backend.js';
import { LoadBalancerClient, type LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { startGrpcServer } from '../grpc/grpc-server.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { describeError } from '../process/wait-for.js';
import type { RegistryClient } from '../registry/registry-contract.js';
import { createRegistry, type RegistryConnection } from '../registry/create-registry.js';
import { BACKEND_SERVICE, LB_SERVICE } from '../registry/service-names.js';
import { backendMeta } from './backend-meta.js';
import { createBackendService } from './backend-service.js';
import { LoadReporter } from './load-reporter.js';
import { ProcessCpuSampler } from './process-sampler.js';
import { TaskExecutor } from './task-executor.js';
import { DurableServedCounts } from './durable-served-counts.js';
import { readTokenFile, tokenInterceptor } from '../grpc/bearer-token.js';
import { BackendMetrics } from '../metrics/backend-metrics.js';
import { isSupervised } from '../process/role-lifecycle.js';
import { retryRegistration, tryTimeoutMs, type RetryOptions } from './retry-registration.js';
import { startMetricsServer, type RunningMetricsServer } from '../metrics/metrics-http.js';
import { formatHostPort } from '../../core/host-port.js';

const LB_CALL_TIMEOUT_MS = 2_000;
const REGISTRY_CALL_TIMEOUT_MS = 2_000;
export const DEFAULT_DRAIN_GRACE_MS = 5_000;
/**
 * How long a backend started by hand goes on trying to register. Under a supervisor there is no
 * own deadline: the supervisor's start-up timeout (`up --timeout`) decides, and stops it.
 */
export const DEFAULT_START_TIMEOUT_MS = 30_000;
/**
 * After leaving the LB and the registry, the backend still accepts new calls this long before it
 * stops accepting: a look-aside client may hold a pick for it made just before the LB heard, and
 * grpc-js's tryShutdown refuses new calls even on open connections (it sends GOAWAY), so that
 * pick would otherwise cost the client a retry.
 */
export const DRAIN_DELAY_MS = 200;
/** An orphaned backend's whole drain: tasks under way may finish, but nobody waits for it. */
const ORPHAN_DRAIN_MS = 200;

export interface BackendOptions {
  readonly host: string;
  readonly port: number;
  readonly id: string;
  /** The registry it registers in (Consul API or etcd). */
  readonly registry: RegistryConnection;
  /** The LB to register with; found through the registry when absent. */
  readonly lbAddress?: string;
  readonly reportIntervalMs: number;
  readonly checkIntervalMs: number;
  readonly defaultHeavyUnits: number;
  /** Relative capacity announced to the LB for weighted policies. */
  readonly weight: number;
  /** CPU_HEAVY speed: 0.25 does each task's work 4 times over, like a machine a quarter as fast. */
  readonly speed: number;
  /** Keep served counts in this file (see durable-served-counts.ts); in memory only when absent. */
  readonly servedCountsFile?: string;
  /** The cluster token file: sent on every call to the LB, which requires it for registering and reporting. */
  readonly tokenFile?: string;
  /** Serve Prometheus metrics over HTTP on this port (host as above); none when absent. */
  readonly metricsPort?: number;
  /** How long registering may take, tries and backoff included (default: see DEFAULT_START_TIMEOUT_MS). */
  readonly startTimeoutMs?: number;
  readonly onEvent: (event: BackendEvent) => void;
}

export type BackendEvent =
  | { readonly type: 'listening'; readonly address: string }
  | { readonly type: 'metrics'; readonly url: string }
  | { readonly type: 'registered'; readonly where: 'registry' | 'lb'; readonly target: string }
  | { readonly type: 'draining'; readonly reason: string }
  | { readonly type: 'warning'; readonly message: string };

export interface RunningBackend {
  readonly address: string;
  /** host:port of the metrics listener, when it serves metrics. */
  readonly metricsAddress?: string;
  stop(reason: string, graceMs?: number): Promise<void>;
}

export async function startBackend(options: BackendOptions): Promise<RunningBackend> {
  const onPersistFailed = (message: string): void => options.onEvent({ type: 'warning', message });
  const executor = new TaskExecutor(options.servedCountsFile ? DurableServedCounts.open(options.servedCountsFile, onPersistFailed) : undefined);
  const cpu = new ProcessCpuSampler();
  let address = formatHostPort(options.host, options.port);

  const sampleLoad = (): LoadReport => {
    const counters = executor.counters;
    return {
      address,
      inFlight: counters.inFlight,
      queueDepth: counters.queueDepth,
      cpuPercent: cpu.sample(),
      servedSimple: counters.servedSimple,
      servedHeavy: counters.servedHeavy,
      recentLatencyMs: executor.takeRecentLatencyMs(),
      rssBytes: process.memoryUsage.rss(),
    };
  };
  // GetLoad must not reset the report window's CPU and latency figures, so it reads counters only.
  const peekLoad = (): LoadReport => ({
    ...executor.counters,
    address,
    cpuPercent: 0,
    recentLatencyMs: 0,
    rssBytes: process.memoryUsage.rss(),
  });

  const identity = { id: options.id, address, defaultHeavyUnits: options.defaultHeavyUnits, speed: options.speed };
  const metrics = options.metricsPort === undefined ? undefined : new BackendMetrics(() => executor.counters, { includeProcessMetrics: true });
  const backendService = createBackendService(identity, executor, peekLoad) as BackendServer;
  const server = await startGrpcServer(options.host, options.port, [
    {
      name: 'lbx.v1.Backend',
      definition: BackendService,
      implementation: metrics ? metrics.instrument(backendService) : backendService,
    },
  ]);
  address = server.address;
  Object.assign(identity, { address });
  options.onEvent({ type: 'listening', address });
  let metricsServer: RunningMetricsServer | undefined;
  if (metrics && options.metricsPort !== undefined) {
    try {
      metricsServer = await startMetricsServer(options.host, options.metricsPort, metrics);
    } catch (error) {
      await server.stop(0);
      throw error;
    }
    options.onEvent({ type: 'metrics', url: `http://${metricsServer.address}/metrics` });
  }

  const registry: RegistryClient = createRegistry(options.registry, { requestTimeoutMs: REGISTRY_CALL_TIMEOUT_MS, clusterTokenFile: options.tokenFile });
  let lb: LoadBalancerClient | undefined;
  const retry = startRetryOptions(options);
  try {
    await retryRegistration(
      `registering in the registry at ${options.registry.address}`,
      () =>
        registry.register(
          { id: options.id, service: BACKEND_SERVICE, address: options.host, port: server.port, meta: backendMeta(options) },
          { kind: 'tcp', intervalMs: options.checkIntervalMs },
        ),
      retry,
    );
    options.onEvent({ type: 'registered', where: 'registry', target: options.registry.address });

    const lbAddress = options.lbAddress ?? (await retryRegistration('finding the LB in the registry', () => resolveLb(registry), retry));
    const interceptors = options.tokenFile ? [tokenInterceptor(readTokenFile(options.tokenFile))] : [];
    const client = new LoadBalancerClient(lbAddress, credentials.createInsecure(), { ...CLIENT_CHANNEL_OPTIONS, interceptors });
    lb = client;
    await retryRegistration(`registering with the LB at ${lbAddress}`, (tries) => registerWithLb(client, options, address, tryTimeoutMs(LB_CALL_TIMEOUT_MS, tries)), retry);
    options.onEvent({ type: 'registered', where: 'lb', target: lbAddress });
  } catch (error) {
    lb?.close();
    registry.close?.();
    await metricsServer?.stop();
    await server.stop(0);
    throw error;
  }

  const keeper = registry.keepRegistered(options.id, options.checkIntervalMs, (event) =>
    options.onEvent(
      event.type === 're-registered'
        ? { type: 'registered', where: 'registry', target: `${options.registry.address} again (the registry had lost this backend)` }
        : { type: 'warning', message: `${event.message}; retrying quietly every ${options.checkIntervalMs} ms until it answers` },
    ),
  );

  const reporter = new LoadReporter({
    lb: () => lb,
    intervalMs: options.reportIntervalMs,
    sample: sampleLoad,
    reRegister: async () => {
      if (lb) await registerWithLb(lb, options, address);
      options.onEvent({ type: 'registered', where: 'lb', target: 'again (the LB did not know this backend)' });
    },
    onError: (message) => options.onEvent({ type: 'warning', message }),
  });
  reporter.start();

  return {
    address,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    stop: async (reason, graceMs = DEFAULT_DRAIN_GRACE_MS) => {
      options.onEvent({ type: 'draining', reason });
      reporter.stop();
      if (reason === 'supervisor-gone') {
        // An orphan: the LB and the registry went with the supervisor, so there is nobody to
        // leave and nobody to drain for; calls to them would only time out.
        void keeper.stop();
        await server.stop(Math.min(graceMs, ORPHAN_DRAIN_MS), () => executor.counters.inFlight === 0);
        return;
      }
      // Before deregistering, so no check in flight can register this backend again.
      await keeper.stop();
      // Leave the LB, then the registry, so no new work is assigned; then let in-flight tasks finish.
      // The LB first: it records why the backend left before the registry's watch reports it gone.
      const warn = (error: unknown): void => options.onEvent({ type: 'warning', message: `deregistration failed: ${describeError(error)}` });
      if (lb) await callUnary(lb.deregisterServer.bind(lb), { address, reason: 'graceful' }, LB_CALL_TIMEOUT_MS).catch(warn);
      await registry.deregister(options.id).catch(warn);
      await sleep(Math.min(DRAIN_DELAY_MS, graceMs));
      await server.stop(graceMs, () => executor.counters.inFlight === 0);
      await reporter.finalReport();
      lb?.close();
      registry.close?.();
      await metricsServer?.stop();
    },
  };
}

/** Start-up tries go on until the start-up deadline, each failure's first one told as a warning. */
function startRetryOptions(options: BackendOptions): RetryOptions {
  const timeoutMs = options.startTimeoutMs ?? (isSupervised() ? Number.POSITIVE_INFINITY : DEFAULT_START_TIMEOUT_MS);
  const nowMs = (): number => performance.now();
  return {
    deadlineMs: nowMs() + timeoutMs,
    nowMs,
    sleep: (ms) => sleep(ms),
    random: Math.random,
    onFirstFailure: (message) => options.onEvent({ type: 'warning', message }),
  };
}

async function registerWithLb(lb: LoadBalancerClient, options: BackendOptions, address: string, timeoutMs = LB_CALL_TIMEOUT_MS): Promise<void> {
  await callUnary(lb.registerServer.bind(lb), { backendId: options.id, address, weight: options.weight, speed: options.speed }, timeoutMs);
}

async function resolveLb(registry: RegistryClient): Promise<string> {
  const [instance] = await registry.resolve(LB_SERVICE);
  if (instance === undefined) throw new Error(`no passing "${LB_SERVICE}" instance in the registry`);
  return formatHostPort(instance.address, instance.port);
}
