// What `up` asks for: the input the supervisor builds a cluster from.
import type { PolicyConfig, PolicyName } from '../../core/policies/policy.js';
import type { LbMode } from '../lb/lb-mode.js';
import type { SuccessRateConfig } from '../../core/health/success-rate.js';
import type { XdsLoadWeights } from '../../core/xds/xds-plan.js';
import type { DataPlaneKind } from '../../core/dataplane/data-plane-kind.js';
import type { NetnsPlan } from '../../core/netns/netns-plan.js';

/** `auto` prefers a consul binary on PATH, then the embedded registry; etcd runs only when asked for. */
export const REGISTRY_CHOICES = ['auto', 'consul', 'embedded', 'etcd'] as const;
export type RegistryChoice = (typeof REGISTRY_CHOICES)[number];
export type RegistryKind = Exclude<RegistryChoice, 'auto'>;

export const DEFAULT_BACKENDS = 4;
export const DEFAULT_REPORT_INTERVAL_MS = 500;
/** Registry health-check interval for lbx's own services; Consul's usual 10 s is too slow for a lab. */
export const DEFAULT_CHECK_INTERVAL_MS = 1_000;
/** How long `up` waits for each component to become ready, by default. */
export const DEFAULT_UP_TIMEOUT_MS = 30_000;
/** Beyond this many backends the default readiness budget grows: 64 backends took 60 s to be ready on a loaded 2-core machine. */
const BACKENDS_IN_DEFAULT_TIMEOUT = 8;
const EXTRA_MS_PER_BACKEND = 1_500;

/** `up`'s readiness budget when --timeout is not given: 30 s, plus 1.5 s per backend beyond 8 (64 backends: 114 s). */
export const defaultUpTimeoutMs = (backends: number): number => DEFAULT_UP_TIMEOUT_MS + Math.max(0, backends - BACKENDS_IN_DEFAULT_TIMEOUT) * EXTRA_MS_PER_BACKEND;

export interface ClusterSpec {
  readonly name: string;
  readonly host: string;
  readonly basePort: number;
  readonly backends: number;
  readonly policy: PolicyName;
  /** lookaside (clients call backends) or proxy (the LB forwards every task). */
  readonly mode: LbMode;
  readonly policyConfig: PolicyConfig;
  /** Per backend, in port order; absent = all 1. */
  readonly weights?: readonly number[];
  /** Per backend, in port order; absent = all 1. */
  readonly speeds?: readonly number[];
  readonly registry: RegistryKind;
  /** Absolute path of the consul binary when registry is 'consul'. */
  readonly consulBinary?: string;
  /** Absolute path of the etcd binary when registry is 'etcd'. */
  readonly etcdBinary?: string;
  /** Default size of a CPU_HEAVY task on the backends (0 = the backend's built-in default). */
  readonly heavyWorkUnits: number;
  readonly reportIntervalMs: number;
  readonly checkIntervalMs: number;
  /** How long each component may take to become ready (`up --timeout`). */
  readonly readyTimeoutMs: number;
  /** Start a crashed backend again on its port (`up --respawn`); the LB and registry are always restarted. */
  readonly respawn?: boolean;
  /** Slow start window (`up --slow-start`): a backend that joins ramps its share of new work over it; absent = off. */
  readonly slowStartMs?: number;
  /** Success-rate ejection's settings (`up --success-rate-…`) when not A50's defaults; absent = the defaults. */
  readonly successRate?: SuccessRateConfig;
  /** `up --outlier-detection off`: the LB ejects no backend for its calls; absent = on. */
  readonly outlierDetection?: boolean;
  /** `up --xds-load-weights orca`: stock clients weigh load-aware policies by the backends' ORCA reports; absent = pushed by the LB. */
  readonly xdsLoadWeights?: XdsLoadWeights;
  /** Proxy mode through a stock data plane (`up --proxy haproxy|nginx`) on base+108; absent = the LB forwards (`--proxy lbx`). */
  readonly dataPlane?: DataPlaneKind;
  /** Absolute path of the data plane's binary (haproxy, nginx), found when `up` planned the cluster. */
  readonly dataPlaneBinary?: string;
  /** `up --backend-processes K`: the backends run as worker threads of K processes; absent = a process per backend. */
  readonly backendProcesses?: number;
  /** `up --backends-per-thread G` in a dense cluster: each worker thread serves up to G backends; absent = one. */
  readonly backendsPerThread?: number;
  /** `up --netns`: each backend in its own network namespace behind a veth pair; `host` is then the plan's hub address. */
  readonly netns?: NetnsPlan;
}
