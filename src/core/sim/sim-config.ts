// What one simulated run is: backends, clients, arrivals, service, mode, subsets, policy and seed.

import type { PolicyConfig, PolicyFactory } from '../policies/policy.js';
import type { ServiceSpec } from './service-model.js';
import type { SubsetSpec } from './subsetting.js';

/** lookaside: one LB picks for every client (it hears of a call's end at that client's next pick, as lbx's pick stream does) · client: each client balances on its own, from stale reports · proxy: one LB forwards every call and sees each end at once. */
export const SIM_MODES = ['lookaside', 'client', 'proxy'] as const;
export type SimMode = (typeof SIM_MODES)[number];

/** Arrivals as the engine runs them: rates resolved, replay files read. */
export type ArrivalPlan =
  | { readonly kind: 'poisson'; readonly ratePerMs: number }
  | { readonly kind: 'burst'; readonly ratePerMs: number; readonly size: number }
  | { readonly kind: 'closed'; readonly concurrency: number };

export interface SimRunConfig {
  readonly backends: number;
  readonly clients: number;
  /** Requests to send; the run ends when they have all ended. */
  readonly requests: number;
  /** Simulated ms after which no request starts (Infinity: none); those in flight still end. */
  readonly durationMs: number;
  readonly arrival: ArrivalPlan;
  /** Share of requests that are SIMPLE: answered at once, never queued (lbx runs them between heavy slices). */
  readonly simpleShare: number;
  readonly service: ServiceSpec;
  /** One per backend: a task takes its service time / speed there. */
  readonly speeds: readonly number[];
  /** Cores the backends share (absent: a core each): while more are busy, each runs at cores / busy of its speed. */
  readonly cores?: number;
  readonly mode: SimMode;
  readonly subset: SubsetSpec;
  /** Client mode: how often each client hears every backend's in-flight count; other modes: the backends' report interval to the LB. */
  readonly updateIntervalMs: number;
  readonly policy: PolicyFactory;
  readonly policyConfig: PolicyConfig;
  readonly seed: number;
  /** The first requests started are served but not measured (0: measure all). */
  readonly warmupRequests: number;
  /** Tasks queued at each backend at time 0, never measured (the supermarket check starts in its stationary state). */
  readonly initialQueue?: (backend: number, random: () => number) => number;
  /** Told every PROGRESS_EVERY ended requests, for long runs. */
  readonly onProgress?: (progress: SimProgress) => void;
}

export interface SimProgress {
  readonly ended: number;
  readonly total: number;
  readonly simulatedMs: number;
}
