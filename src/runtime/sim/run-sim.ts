// Runs `lbx sim`'s policies one after the other through the core engine, timing each on the wall clock.
import type { PolicyFactory } from '../../core/policies/policy.js';
import type { SimProgress, SimRunConfig } from '../../core/sim/sim-config.js';
import { runSimulation } from '../../core/sim/sim-engine.js';
import { SIM_SCHEMA, type SimModel, type SimPolicyResult, type SimResult } from './sim-result.js';

export interface SimPlan {
  readonly model: SimModel;
  /** Everything but the policy: the same model, seed and arrivals for each. */
  readonly base: Omit<SimRunConfig, 'policy' | 'onProgress'>;
  readonly policies: readonly PolicyFactory[];
}

export type SimEvent =
  | { readonly type: 'policy-started'; readonly policy: string; readonly index: number; readonly count: number }
  | { readonly type: 'progress'; readonly policy: string; readonly progress: SimProgress; readonly wallMs: number }
  | { readonly type: 'policy-done'; readonly result: SimPolicyResult };

export function runSim(plan: SimPlan, onEvent: (event: SimEvent) => void = () => undefined): SimResult {
  const startedAtUnixMs = Date.now();
  const policies = plan.policies.map((policy, index) => {
    onEvent({ type: 'policy-started', policy: policy.name, index, count: plan.policies.length });
    const startedAt = performance.now();
    const onProgress = (progress: SimProgress): void => onEvent({ type: 'progress', policy: policy.name, progress, wallMs: performance.now() - startedAt });
    const outcome = runSimulation({ ...plan.base, policy, onProgress });
    const wallMs = performance.now() - startedAt;
    const result: SimPolicyResult = {
      policy: policy.name,
      summary: outcome.summary,
      imbalance: outcome.imbalance,
      meanLatencyMs: outcome.meanLatencyMs,
      utilisation: outcome.utilisation,
      unavailable: outcome.unavailable,
      ...(outcome.connections ? { connections: outcome.connections } : {}),
      pickPath: outcome.path,
      wallMs,
      requestsPerWallSec: wallMs > 0 ? (outcome.ended / wallMs) * 1_000 : 0,
    };
    onEvent({ type: 'policy-done', result });
    return result;
  });
  return { schema: SIM_SCHEMA, model: plan.model, startedAtUnixMs, policies };
}
