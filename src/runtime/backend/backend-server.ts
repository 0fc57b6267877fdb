// A backend's whole life: listen, then register (registry, then LB), report load, and drain on stop.
//
// Listening comes first: the source system registered in Consul before it listened, and
// clients that found it early failed every request. While it runs it makes sure the registry
// still has it (a restarted registry comes back empty) and the LB too (a restarted LB answers
// its load reports with NOT_FOUND, and it registers again).
import { setTimeout as sleep } from 'node:timers/promises';

import { BackendService, type BackendServer } from '../wire/gen/lbx/v1/backend.js';
import type { RunningGrpcServer } from '../grpc/grpc-server.js';
import { startLeanGrpcServer } from '../grpc/lean/lean-grpc-server.js';
import { createBackendService } from './backend-service.js';
import { BackendMembership } from './backend-membership.js';
import type { BackendOptions } from './backend-options.js';
import { LoadReporter } from './load-reporter.js';
import { LoadSampler } from './load-sampler.js';
import { TaskExecutor } from './task-executor.js';
import { OrcaService } from './orca-service.js';
import { FaultInjector } from './fault-injector.js';
import { backendAdminBinding } from './backend-admin-service.js';
import { DurableServedCounts } from './durable-served-counts.js';
import { BackendMetrics } from '../metrics/backend-metrics.js';
import { startMetricsServer, type RunningMetricsServer } from '../metrics/metrics-http.js';
import { formatHostPort } from '../../core/host-port.js';

export type { BackendEvent, BackendOptions } from './backend-options.js';
export { DEFAULT_START_TIMEOUT_MS } from './backend-membership.js';

export const DEFAULT_DRAIN_GRACE_MS = 5_000;
/**
 * After leaving the LB and the registry, the backend still accepts new calls this long before it
 * stops accepting: a look-aside client may hold a pick for it made just before the LB heard, and
 * grpc-js's tryShutdown refuses new calls even on open connections (it sends GOAWAY), so that
 * pick would otherwise cost the client a retry.
 */
export const DRAIN_DELAY_MS = 200;
/** An orphaned backend's whole drain: tasks under way may finish, but nobody waits for it. */
const ORPHAN_DRAIN_MS = 200;

export interface RunningBackend {
  readonly address: string;
  /** host:port of the metrics listener, when it serves metrics. */
  readonly metricsAddress?: string;
  stop(reason: string, graceMs?: number): Promise<void>;
  /**
   * Ends this backend at once, as a SIGKILL ends a process: no leaving the LB or the registry, no drain; its connections
   * are cut, its timers stopped and queued work dropped. For a backend sharing a thread with others (a dense cluster's
   * `--backends-per-thread`), which cannot be ended by ending its thread.
   */
  kill(): Promise<void>;
}

export async function startBackend(options: BackendOptions): Promise<RunningBackend> {
  const onPersistFailed = (message: string): void => options.onEvent({ type: 'warning', message });
  const served = options.servedCountsFile ? DurableServedCounts.open(options.servedCountsFile, onPersistFailed) : undefined;
  const executor = new TaskExecutor(served, options.workSliceUnits);
  const load = new LoadSampler(executor, formatHostPort(options.host, options.port));

  const identity = { id: options.id, address: load.address, defaultHeavyUnits: options.defaultHeavyUnits, speed: options.speed };
  const metrics = options.metricsPort === undefined ? undefined : new BackendMetrics(() => executor.counters, { includeProcessMetrics: true });
  const faults = new FaultInjector((fault) => options.onEvent({ type: 'fault', fault }));
  const backendService = createBackendService(identity, executor, () => load.peek(), faults, metrics) as BackendServer;
  // ORCA out-of-band load reports, for stock gRPC clients running weighted_round_robin (xDS ClientSideWeightedRoundRobin).
  const orca = new OrcaService(executor, () => faults.erroredTotal);
  const server = await startLeanGrpcServer(options.host, options.port, [
    {
      name: 'lbx.v1.Backend',
      definition: BackendService,
      implementation: metrics ? metrics.instrument(backendService) : backendService,
    },
    orca.binding,
    backendAdminBinding(faults, () => load.address, options.tokenFile),
  ]);
  const address = server.address;
  load.address = address;
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

  const membership = new BackendMembership(options);
  try {
    await membership.join(server.port, address);
  } catch (error) {
    membership.close();
    await metricsServer?.stop();
    await server.stop(0);
    throw error;
  }
  membership.keepRegistered();

  const reporter = new LoadReporter({
    lb: () => membership.lb,
    intervalMs: options.reportIntervalMs,
    sample: () => load.sample(),
    activity: () => executor.counters,
    reRegister: () => membership.registerWithLbAgain(address),
    onError: (message) => options.onEvent({ type: 'warning', message }),
  });
  reporter.start();
  executor.onActivity = () => reporter.wake();

  return runningBackend({ options, address, metricsServer, server, membership, reporter, orca, faults, executor });
}

/** What a started backend is made of, for its stop and kill. */
interface BackendParts {
  readonly options: BackendOptions;
  readonly address: string;
  readonly metricsServer: RunningMetricsServer | undefined;
  readonly server: RunningGrpcServer;
  readonly membership: BackendMembership;
  readonly reporter: LoadReporter;
  readonly orca: OrcaService;
  readonly faults: FaultInjector;
  readonly executor: TaskExecutor;
}

function runningBackend(parts: BackendParts): RunningBackend {
  const { options, address, metricsServer, server, membership, reporter, orca, faults, executor } = parts;
  /** The first steps of every end: say so, and stop the load reports and the streams that would outlive the server. */
  const quiet = (reason: string): void => {
    options.onEvent({ type: 'draining', reason });
    reporter.stop();
    orca.close();
    faults.close();
  };
  return {
    address,
    ...(metricsServer ? { metricsAddress: metricsServer.address } : {}),
    stop: async (reason, graceMs = DEFAULT_DRAIN_GRACE_MS) => {
      quiet(reason);
      if (reason === 'supervisor-gone') {
        // An orphan: the LB and the registry went with the supervisor, so there is nobody to
        // leave and nobody to drain for; calls to them would only time out.
        void membership.stopKeeping();
        await server.stop(Math.min(graceMs, ORPHAN_DRAIN_MS), () => executor.counters.inFlight === 0);
        return;
      }
      // Before deregistering, so no check in flight can register this backend again.
      await membership.stopKeeping();
      // Leave the LB, then the registry, so no new work is assigned; then let in-flight tasks finish.
      await membership.leave(address);
      await sleep(Math.min(DRAIN_DELAY_MS, graceMs));
      await server.stop(graceMs, () => executor.counters.inFlight === 0);
      await reporter.finalReport();
      membership.close();
      await metricsServer?.stop();
    },
    kill: async () => {
      quiet('killed');
      executor.halt();
      void membership.stopKeeping();
      membership.close();
      await Promise.all([server.stop(0), metricsServer?.stop()]);
    },
  };
}
