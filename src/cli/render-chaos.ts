// What `lbx chaos` prints without --json: what it will do, one line per action as it happens, and the counts at the end.
import type { ChaosResult } from '../runtime/chaos/cluster-chaos.js';
import type { ChaosAction } from '../runtime/chaos/chaos-types.js';

/** chaos on cluster "default": backend/lb every 1000 ms for 20000 ms (seed 7) */
export const describeChaosPlan = (
  cluster: string,
  plan: { targets: readonly string[]; kinds: readonly string[]; intervalMs: number; durationMs: number; seed: number },
): string => {
  const what = plan.kinds.map((kind) => (kind === 'kill' ? `kill ${plan.targets.join('/')}` : kind)).join(', ');
  return `chaos on cluster "${cluster}": ${what} every ${plan.intervalMs} ms for ${plan.durationMs} ms (seed ${plan.seed})`;
};

/** "+1.00s  killed  backend-7002   SIGKILL" */
export const describeChaosAction = (action: ChaosAction): string =>
  `+${(action.atMs / 1_000).toFixed(2)}s  ${action.kind.padEnd(7)} ${action.component.padEnd(14)} ${action.detail}`;

export const describeChaosEnd = (result: ChaosResult): string =>
  `chaos done: ${result.killed} killed, ${result.started} started again, ${result.faulted} faults set (cleared at the end), ${result.skipped} skipped, ${result.failed} failed`;
