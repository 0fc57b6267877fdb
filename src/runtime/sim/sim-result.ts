// What `lbx sim` measured: the document `--json` prints (schema lbx.sim/v1, docs/json-schema.md), shaped like lbx.bench/v1 so the two sit side by side.
import type { RunSummary } from '../../core/stats/run-ledger.js';
import type { SimMode } from '../../core/sim/sim-config.js';

export const SIM_SCHEMA = 'lbx.sim/v1';

/** The model as run: every figure resolved (rates, replayed files, the service model's mean). */
export interface SimModel {
  readonly backends: number;
  readonly clients: number;
  readonly mode: SimMode;
  /** As given: poisson, burst:N, closed:C, replay:<file>. */
  readonly arrival: string;
  /** Open arrivals: requests per simulated second (from --rate, or --load × capacity). */
  readonly ratePerSec?: number;
  /** Open arrivals: offered load, rate × mean service / Σ speeds. */
  readonly load?: number;
  /** Closed arrivals: requests in flight at once. */
  readonly concurrency?: number;
  readonly service: string;
  readonly serviceMeanMs: number;
  readonly simpleShare: number;
  readonly speeds?: readonly number[];
  /** Cores the backends share, when --cores was given. */
  readonly cores?: number;
  readonly subset: string;
  readonly updateIntervalMs: number;
  readonly requests: number;
  readonly durationMs?: number;
  readonly warmupRequests: number;
  readonly seed: number;
}

export interface SimPolicyResult {
  readonly policy: string;
  readonly summary: RunSummary;
  readonly imbalance: number;
  readonly meanLatencyMs: number;
  readonly utilisation: number;
  readonly unavailable: number;
  readonly connections?: { readonly min: number; readonly mean: number; readonly max: number };
  /** balancer: lbx's Balancer picked; picker: the policy's picker alone (above the Balancer's 1,024 members). */
  readonly pickPath: 'balancer' | 'picker';
  /** Wall time the simulation of this policy took, and requests simulated per wall second. */
  readonly wallMs: number;
  readonly requestsPerWallSec: number;
}

export interface SimResult {
  readonly schema: typeof SIM_SCHEMA;
  readonly model: SimModel;
  readonly startedAtUnixMs: number;
  readonly policies: readonly SimPolicyResult[];
}
