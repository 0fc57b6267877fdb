// What `send` and `bench` share: the task-count flags, the workload they build (SIMPLE tasks by default), and the exit-code ending (1 on failed tasks, 5 on a threshold).
import { Flags } from '@oclif/core';

import { EXIT_CODES, LbxError } from '../core/lbx-error.js';
import { evaluateThresholds, hasThresholds, type MeasuredRun, type ThresholdOutcome, type Thresholds } from '../core/thresholds.js';
import { MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import { DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import { randomSeed, seedFlag } from './flags.js';
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
  seed: seedFlag('Seed of the task order (SIMPLE and CPU_HEAVY shuffled); default: random, saved with the run.'),
});

/** The SIMPLE and CPU_HEAVY counts asked for: SIMPLE tasks by default, never nothing at all. */
export function taskCounts(flags: { simple?: number; heavy?: number }): { simple: number; heavy: number } {
  const simple = flags.simple ?? (flags.heavy === undefined ? DEFAULT_SIMPLE_WHEN_UNSPECIFIED : 0);
  const heavy = flags.heavy ?? 0;
  if (simple + heavy === 0) throw new LbxError('usage', 'nothing to send: --simple and --heavy are both 0; give at least one task');
  return { simple, heavy };
}

/** The tasks `send` and `bench` run, with how: the same shape for both, so a bench policy's run is a send's. */
export interface TaskWorkload {
  readonly simple: number;
  readonly heavy: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly keys?: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** CPU_HEAVY size; 0 = the backends' default. */
  readonly workUnits: number;
}

export interface WorkloadFlagValues {
  readonly simple?: number;
  readonly heavy?: number;
  readonly concurrency: number;
  readonly 'work-units': number;
  readonly seed?: number;
  readonly keys?: number;
}

/** Each call's deadline and retries: send's --timeout and --retries; bench has no such flags (its --timeout is `up`'s) and takes the defaults. */
export interface CallLimits {
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/** The workload the flags ask for: the task counts checked, a random seed when none was given, the default call limits unless given. */
export function workloadFromFlags(flags: WorkloadFlagValues, limits: CallLimits = {}): TaskWorkload {
  return {
    ...taskCounts(flags),
    concurrency: flags.concurrency,
    seed: flags.seed ?? randomSeed(),
    ...(flags.keys === undefined ? {} : { keys: flags.keys }),
    timeoutMs: limits.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxAttempts: (limits.retries ?? DEFAULT_RETRIES) + 1,
    workUnits: flags['work-units'],
  };
}

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
