// What `send` and `bench` share: the task-count flags, the default workload, and the exit-code ending (1 on failed tasks, 5 on a threshold).
import { Flags } from '@oclif/core';

import { EXIT_CODES, LbxError } from '../core/lbx-error.js';
import { evaluateThresholds, hasThresholds, type MeasuredRun, type ThresholdOutcome, type Thresholds } from '../core/thresholds.js';
import { MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import { DEFAULT_CONCURRENCY } from '../runtime/client/send-defaults.js';
import { renderThresholds } from './render-thresholds.js';

export const MAX_TASKS = 10_000_000;
/** With neither --simple nor --heavy, this many SIMPLE tasks. */
export const DEFAULT_SIMPLE_WHEN_UNSPECIFIED = 1_000;

/** The task-count flags; `per` says what a count is per ("" for send, " per policy" for bench). */
export const workloadFlags = (per: string) => ({
  simple: Flags.integer({ char: 's', description: `Number of SIMPLE tasks${per} (answered at once).`, min: 0, max: MAX_TASKS }),
  heavy: Flags.integer({ char: 'H', description: `Number of CPU_HEAVY tasks${per} (real CPU work on the backend).`, min: 0, max: MAX_TASKS }),
  concurrency: Flags.integer({ char: 'c', description: 'Tasks in flight at once.', min: 1, max: 1_024, default: DEFAULT_CONCURRENCY }),
  'work-units': Flags.integer({ description: "CPU_HEAVY size in work units (0 = the backends' default).", min: 0, max: MAX_WORK_UNITS, default: 0 }),
  seed: Flags.integer({ description: 'Seed of the task order (SIMPLE and CPU_HEAVY shuffled); default: random, saved with the run.', min: 0, max: 4_294_967_295 }),
});

/** The SIMPLE and CPU_HEAVY counts asked for: SIMPLE tasks by default, never nothing at all. */
export function taskCounts(flags: { simple?: number; heavy?: number }): { simple: number; heavy: number } {
  const simple = flags.simple ?? (flags.heavy === undefined ? DEFAULT_SIMPLE_WHEN_UNSPECIFIED : 0);
  const heavy = flags.heavy ?? 0;
  if (simple + heavy === 0) throw new LbxError('usage', 'nothing to send: --simple and --heavy are both 0; give at least one task');
  return { simple, heavy };
}

export const randomSeed = (): number => Math.floor(Math.random() * 4_294_967_296);

/**
 * Sets the exit code of a finished run: 1 when tasks failed, 5 when a threshold was not met (it
 * wins over 1: it is the gate the caller asked for, and CI tells it apart from a crash). Returns
 * the verdict and the lines to print (to stderr when failed).
 */
export function concludeRun(
  thresholds: Thresholds,
  runs: readonly MeasuredRun[],
  failedTasks: number,
): { outcome?: ThresholdOutcome; verdict?: { text: string; passed: boolean } } {
  if (failedTasks > 0) process.exitCode = EXIT_CODES.runtime;
  if (!hasThresholds(thresholds)) return {};
  const outcome = evaluateThresholds(thresholds, runs);
  if (!outcome.passed) process.exitCode = EXIT_CODES.threshold;
  return { outcome, verdict: { text: renderThresholds(outcome), passed: outcome.passed } };
}
