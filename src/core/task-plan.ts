// The order a send run's tasks go out in: a seeded shuffle of SIMPLE and CPU_HEAVY.
//
// Shuffled rather than evenly interleaved: a periodic plan (every 6th task heavy) aliases
// with round robin's period and sends every heavy task to the same backend, which would
// blame the policy for the client's pattern. The seed makes a run reproducible.
import type { TaskKind } from './policies/policy.js';
import { seededRandom, shuffleInPlace } from './random/seeded-random.js';

export function planTasks(simple: number, heavy: number, seed: number): TaskKind[] {
  const plan: TaskKind[] = new Array<TaskKind>(simple + heavy);
  plan.fill('SIMPLE', 0, simple);
  plan.fill('CPU_HEAVY', simple);
  return shuffleInPlace(plan, seededRandom(seed));
}
