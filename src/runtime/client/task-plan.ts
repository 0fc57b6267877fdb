// The order tasks are sent in: CPU_HEAVY spread evenly among SIMPLE, so every phase of a run sees both.
import type { TaskKind } from '../../core/policies/policy.js';

export function planTasks(simple: number, heavy: number): TaskKind[] {
  const total = simple + heavy;
  const plan: TaskKind[] = new Array<TaskKind>(total);
  for (let index = 0; index < total; index += 1) {
    // Heavy exactly where the running count of heavy tasks steps up: evenly spaced, exact total.
    const isHeavy = Math.floor(((index + 1) * heavy) / total) > Math.floor((index * heavy) / total);
    plan[index] = isHeavy ? 'CPU_HEAVY' : 'SIMPLE';
  }
  return plan;
}
