// Threshold verdicts for `send` and `bench`: each failed check with its measured value and limit, or one line saying all passed.
import { describeCheck, type ThresholdOutcome } from '../core/thresholds.js';

/** One line per failed check, or one saying all passed. */
export function renderThresholds(outcome: ThresholdOutcome): string {
  if (outcome.passed) return `thresholds: all ${outcome.checks.length} check${outcome.checks.length === 1 ? '' : 's'} passed`;
  return outcome.checks
    .filter((check) => !check.passed)
    .map((check) => `threshold failed: ${describeCheck(check)}`)
    .join('\n');
}
