// The flags that shape a new cluster (`up`, `bench`), their validation, and starting a cluster from them with progress on stderr.
import { Flags } from '@oclif/core';

import { LbxError } from '../core/lbx-error.js';
import type { PolicyFactory } from '../core/policies/policy.js';
import { checkPolicyFits } from '../core/policies/policy-config.js';
import { DEFAULT_HEAVY_WORK_UNITS, MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import type { ClusterFile } from '../runtime/cluster/cluster-file.js';
import {
  DEFAULT_BACKENDS,
  DEFAULT_CHECK_INTERVAL_MS,
  DEFAULT_REPORT_INTERVAL_MS,
  DEFAULT_UP_TIMEOUT_MS,
  defaultUpTimeoutMs,
  REGISTRY_CHOICES,
  type ClusterSpec,
  type RegistryChoice,
  type RegistryKind,
} from '../runtime/cluster/cluster-spec.js';
import { DEFAULT_BASE_PORT, lastBackendPort, MAX_BACKENDS, MAX_BASE_PORT, MAX_DENSE_BACKENDS, MIN_BASE_PORT } from '../runtime/cluster/ports.js';
import { durationFlag, hostFlag } from './flags.js';
import { outlierDetectionFlag, successRateFlags, successRateFromFlags, withOutlierDetection, withSuccessRate, type OutlierDetectionChoice } from './outlier-flags.js';
import { MAX_WEIGHT, MIN_SPEED, MIN_WEIGHT, parseFactorList } from './number-lists.js';
import { checkPolicySettingsApply, policyConfigFlags, policyConfigFromFlags, type PolicyConfigFlagValues } from './policy-flags.js';
import { startProgress } from './spinner.js';
import { LB_MODES, type LbMode } from '../runtime/lb/lb-mode.js';
import { XDS_LOAD_WEIGHTS, type XdsLoadWeights } from '../core/xds/xds-plan.js';
import type { ProxyKind } from '../core/dataplane/data-plane-kind.js';
import { findExecutable, findSystemExecutable } from '../runtime/registry/find-executable.js';
import { planDataPlane } from './data-plane-flags.js';
import { scaledCheckIntervalMs } from '../core/scale/idle-cost.js';
import { DEFAULT_DENSE_THREADS, MAX_BACKENDS_PER_THREAD, defaultBackendsPerThread } from '../core/scale/backends-per-thread.js';

/** Backend hosts a dense cluster may have. */
const MAX_BACKEND_PROCESSES = 64;

export const clusterFlags = {
  backends: Flags.integer({
    char: 'b',
    description: `Number of backends (1–${MAX_BACKENDS}; up to ${MAX_DENSE_BACKENDS} with --backend-processes).`,
    min: 1,
    max: MAX_DENSE_BACKENDS,
    default: DEFAULT_BACKENDS,
  }),
  'backend-processes': Flags.integer({
    description: `Dense mode: run the backends as worker threads of this many processes (each backend keeps its own port, event loop, registration and log; 1–${MAX_BACKEND_PROCESSES}). Default: a process per backend.`,
    min: 1,
    max: MAX_BACKEND_PROCESSES,
  }),
  'backends-per-thread': Flags.integer({
    description: `Dense mode: backends each worker thread serves (1–${MAX_BACKENDS_PER_THREAD}). One a thread gives each backend its own event loop; sharing, CPU_HEAVY work runs in 1 ms slices, and the cluster comes up faster. Default: 1 up to ${DEFAULT_DENSE_THREADS} backends, then enough for about ${DEFAULT_DENSE_THREADS} threads (4 at 256).`,
    min: 1,
    max: MAX_BACKENDS_PER_THREAD,
  }),
  registry: Flags.option({
    description: 'Service registry: auto (consul when a consul binary is on PATH, else embedded), consul, embedded, or etcd (needs the etcd binary).',
    options: REGISTRY_CHOICES,
    default: 'auto' as const,
  })(),
  'base-port': Flags.integer({
    description: `First port of the cluster's layout (${MIN_BASE_PORT}–${MAX_BASE_PORT}; every port stays below 32768).`,
    min: MIN_BASE_PORT,
    max: MAX_BASE_PORT,
    default: DEFAULT_BASE_PORT,
  }),
  host: hostFlag,
  'heavy-work-units': Flags.integer({
    description: `Default CPU_HEAVY size on the backends, in work units (about 0.55 ms each here; ${DEFAULT_HEAVY_WORK_UNITS} ≈ 30 ms).`,
    min: 1,
    max: MAX_WORK_UNITS,
    default: DEFAULT_HEAVY_WORK_UNITS,
  }),
  'report-interval': durationFlag({ description: 'How often backends report load to the LB (50ms–1m).', minMs: 50, maxMs: 60_000, defaultMs: DEFAULT_REPORT_INTERVAL_MS }),
  mode: Flags.option({
    description: 'lookaside: clients ask the LB, then call the backend themselves; proxy: clients call the LB, which forwards every task (and sees every start and end).',
    options: LB_MODES,
    default: 'lookaside' as const,
  })(),
  weights: Flags.string({ description: 'Weight of each backend for weighted policies, in port order, e.g. 1,1,2,4; "speeds" to use the --speeds values (default: all 1).' }),
  speeds: Flags.string({ description: 'CPU_HEAVY speed of each backend, in port order, e.g. 1,1,1,0.25: a 0.25 backend pays 4 times the work (default: all 1).' }),
  ...policyConfigFlags,
  timeout: durationFlag({
    description: `How long to wait for the cluster to be ready (1s–10m; default ${DEFAULT_UP_TIMEOUT_MS / 1_000}s, plus 1.5s per backend beyond 8, so 64 backends get 114s).`,
    minMs: 1_000,
    maxMs: 600_000,
  }),
  'slow-start': durationFlag({
    description:
      "Ramp a new or restarted backend's share of new work over this window (Envoy's formula, from 10 %), for lbx's picks and for stock xDS clients (0 = off; up to 10m).",
    minMs: 0,
    maxMs: 600_000,
    defaultMs: 0,
  }),
  ...successRateFlags,
  ...outlierDetectionFlag,
  'xds-load-weights': Flags.option({
    description:
      "Where stock xDS clients get a load-aware policy's (ll, lc, p2c, ewma) weights: lb = computed by the LB from load reports and pushed in EDS; orca = each client's weighted_round_robin weighs the backends' ORCA reports.",
    options: XDS_LOAD_WEIGHTS,
    default: 'lb' as const,
  })(),
  respawn: Flags.boolean({
    description: 'Start a crashed backend again on its port, backing off when it keeps crashing. The LB and the registry are always restarted.',
    default: false,
  }),
};

export interface ClusterFlagValues extends PolicyConfigFlagValues {
  readonly backends: number;
  readonly 'backend-processes'?: number;
  readonly 'backends-per-thread'?: number;
  readonly registry: RegistryChoice;
  readonly 'base-port': number;
  readonly host: string;
  readonly 'heavy-work-units': number;
  readonly 'report-interval': number;
  readonly mode: LbMode;
  readonly weights?: string;
  readonly speeds?: string;
  readonly timeout?: number;
  readonly respawn: boolean;
  readonly 'slow-start': number;
  readonly 'success-rate-stdev-factor': number;
  readonly 'success-rate-enforcement': number;
  readonly 'success-rate-minimum-hosts': number;
  readonly 'success-rate-request-volume': number;
  readonly 'outlier-detection'?: OutlierDetectionChoice;
  readonly 'xds-load-weights'?: XdsLoadWeights;
  /** `up --proxy`: lbx (default) or a stock data plane. */
  readonly proxy?: ProxyKind;
}

/** A spec to start, checked before anything runs: every bad value is a usage error naming the flag. */
export interface PlannedCluster {
  readonly spec: ClusterSpec;
  /** The registry's binary when it needs one ('' for the embedded registry). */
  readonly registryBinary: string;
}

/** The spec for a cluster named `name` with `policy` first; the registry's binary is looked up on PATH. */
export function planCluster(name: string, policy: PolicyFactory, flags: ClusterFlagValues, find: (name: string) => string | undefined): PlannedCluster {
  checkPolicySettingsApply(policy.name, flags);
  checkDenseMode(flags);
  const policyConfig = policyConfigFromFlags(flags);
  // The policy checks its settings against this many backends (a ring must hold them all).
  checkPolicyFits(policy, policyConfig, flags.backends);
  const speeds = flags.speeds === undefined ? undefined : parseFactorList('--speeds', flags.speeds, flags.backends, 100, MIN_SPEED);
  if (flags.weights === 'speeds' && speeds === undefined) throw new LbxError('usage', '--weights speeds needs --speeds: there are no speeds to derive weights from');
  const weights =
    flags.weights === 'speeds' ? speeds : flags.weights === undefined ? undefined : parseFactorList('--weights', flags.weights, flags.backends, MAX_WEIGHT, MIN_WEIGHT);
  const { registry, consulBinary, etcdBinary } = chooseRegistry(flags.registry, find);
  // The injected finder is PATH's (tests swap it); daemons are looked for in sbin as well.
  const findDaemon = (binary: string): string | undefined => find(binary) ?? (find === findExecutable ? findSystemExecutable(binary) : undefined);
  const dataPlane = planDataPlane(flags.proxy, flags.mode, policy.name, policyConfig.hashBalance, findDaemon);
  const spec: ClusterSpec = {
    name,
    host: flags.host,
    basePort: flags['base-port'],
    backends: flags.backends,
    policy: policy.name,
    mode: flags.mode,
    policyConfig,
    ...(weights ? { weights } : {}),
    ...(speeds ? { speeds } : {}),
    registry,
    ...(consulBinary ? { consulBinary } : {}),
    ...(etcdBinary ? { etcdBinary } : {}),
    heavyWorkUnits: flags['heavy-work-units'],
    reportIntervalMs: flags['report-interval'],
    // A big cluster's idle chatter is cut by checking each backend less often (see core/scale/idle-cost.ts).
    checkIntervalMs: scaledCheckIntervalMs(DEFAULT_CHECK_INTERVAL_MS, flags.backends),
    readyTimeoutMs: flags.timeout ?? defaultUpTimeoutMs(flags.backends),
    ...(flags.respawn ? { respawn: true } : {}),
    ...(flags['slow-start'] > 0 ? { slowStartMs: flags['slow-start'] } : {}),
    ...withSuccessRate(successRateFromFlags(flags)),
    ...withOutlierDetection(flags['outlier-detection']),
    ...(flags['xds-load-weights'] === 'orca' ? { xdsLoadWeights: 'orca' as const } : {}),
    ...(dataPlane ?? {}),
    ...(flags['backend-processes'] === undefined
      ? {}
      : { backendProcesses: flags['backend-processes'], backendsPerThread: flags['backends-per-thread'] ?? defaultBackendsPerThread(flags.backends) }),
  };
  return { spec, registryBinary: consulBinary ?? etcdBinary ?? '' };
}

/** More than 64 backends need the dense mode, a port layout below 32768, and no stock data plane (its server slots stop at 64). */
function checkDenseMode(flags: ClusterFlagValues): void {
  const processes = flags['backend-processes'];
  if (flags.backends > MAX_BACKENDS && processes === undefined) {
    throw new LbxError('usage', `--backends ${flags.backends} needs --backend-processes K: a process per backend goes up to ${MAX_BACKENDS}`);
  }
  if (flags['backends-per-thread'] !== undefined && processes === undefined) {
    throw new LbxError('usage', `--backends-per-thread ${flags['backends-per-thread']} needs --backend-processes K: threads belong to the dense mode`);
  }
  if (processes !== undefined && processes > flags.backends) {
    throw new LbxError('usage', `--backend-processes ${processes} is more than --backends ${flags.backends}: expected 1 to ${flags.backends}`);
  }
  if (flags.backends > MAX_BACKENDS && flags.proxy !== undefined && flags.proxy !== 'lbx') {
    throw new LbxError('usage', `--backends ${flags.backends} with --proxy ${flags.proxy}: a stock data plane has server slots for ${MAX_BACKENDS} backends`);
  }
  const lastPort = lastBackendPort(flags['base-port'], flags.backends);
  if (lastPort > 32_767) throw new LbxError('usage', `--base-port ${flags['base-port']} puts backend ${flags.backends} on port ${lastPort}: every port must stay below 32768`);
}

/** Starts the planned cluster (refusing a running one or busy ports, cleaning a stale one), with progress on stderr until every component is ready. */
export async function startCluster(planned: PlannedCluster, options: { quiet: boolean; note: (line: string) => void }): Promise<{ file: ClusterFile; readyMs: number }> {
  const { spec } = planned;
  const { startCluster: launch } = await import('../runtime/supervisor/start-cluster.js');
  const progress = await startProgress(`starting cluster "${spec.name}" (${spec.registry} registry)`, { quiet: options.quiet });
  let ready = 0;
  let launching = false;
  // Registry, LB, backends, and the stock data plane when there is one.
  const total = spec.backends + 2 + (spec.dataPlane === undefined ? 0 : 1);
  try {
    const launched = await launch(spec, (event) => {
      if (event.type === 'cleaned-stale' && !options.quiet) options.note(`note: removed a stale cluster "${spec.name}" (${event.reason})`);
      if (event.type === 'launching') launching = true;
      if (event.type === 'supervisor' && event.event.type === 'ready') progress.update(`starting cluster "${spec.name}": ${++ready}/${total} ready (${event.event.component})`);
    });
    progress.succeed(`cluster "${spec.name}" ready in ${launched.readyMs} ms`);
    return launched;
  } catch (error) {
    // A refusal before launch (running cluster, busy ports) is said by the error alone.
    if (launching) progress.fail(`cluster "${spec.name}" did not start`);
    else progress.stop();
    throw error;
  }
}

/** The registry a cluster runs: what was asked for, with the binary it needs found on PATH (a usage error when missing). */
function chooseRegistry(choice: RegistryChoice, find: (name: string) => string | undefined): { registry: RegistryKind; consulBinary?: string; etcdBinary?: string } {
  switch (choice) {
    case 'embedded':
      return { registry: 'embedded' };
    case 'etcd': {
      const etcdBinary = find('etcd');
      if (etcdBinary === undefined) {
        throw new LbxError('usage', '--registry etcd: no etcd binary on PATH', [
          'install it: apt-get install etcd-server (Debian/Ubuntu), or a release from https://github.com/etcd-io/etcd/releases',
          'or use --registry embedded (or auto)',
        ]);
      }
      return { registry: 'etcd', etcdBinary };
    }
    case 'consul':
    case 'auto': {
      const consulBinary = find('consul');
      if (consulBinary !== undefined) return { registry: 'consul', consulBinary };
      if (choice === 'consul') throw new LbxError('usage', '--registry consul: no consul binary on PATH', ['install Consul, or use --registry embedded (or auto)']);
      return { registry: 'embedded' };
    }
  }
}
