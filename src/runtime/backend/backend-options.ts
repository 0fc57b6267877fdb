// What a backend is started with, and the events it emits while it runs (re-exported by backend-server.ts).
import type { RegistryConnection } from '../registry/create-registry.js';

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
  /** Ends start-up's registration tries (a backend killed while it starts); none when absent. */
  readonly signal?: AbortSignal;
  /**
   * CPU_HEAVY work units run between two yields to I/O (default WORK_SLICE_UNITS, about 55 ms). A backend sharing its
   * thread with others runs small slices, so their answers wait at most a slice or so (see backend-host.ts).
   */
  readonly workSliceUnits?: number;
  readonly onEvent: (event: BackendEvent) => void;
}

export type BackendEvent =
  | { readonly type: 'listening'; readonly address: string }
  | { readonly type: 'metrics'; readonly url: string }
  | { readonly type: 'registered'; readonly where: 'registry' | 'lb'; readonly target: string }
  | { readonly type: 'draining'; readonly reason: string }
  /** `lbx fault` set or cleared this backend's fault ("none" when cleared). */
  | { readonly type: 'fault'; readonly fault: string }
  | { readonly type: 'warning'; readonly message: string };
