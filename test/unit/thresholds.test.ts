// CI thresholds: parsing (units, percentages, bad input rejected with the value and the expected form) and evaluation.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { thresholdsFromFlags } from '../../src/cli/threshold-flags.js';
import { EXIT_CODES, isLbxError } from '../../src/core/lbx-error.js';
import { RunLedger, type RunSummary } from '../../src/core/stats/run-ledger.js';
import {
  computeImbalance,
  describeCheck,
  evaluateThresholds,
  hasThresholds,
  parseMaxErrorRate,
  parseMaxImbalance,
  parseMaxP99Ms,
  parseMinThroughput,
} from '../../src/core/thresholds.js';

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isLbxError(error) && error.code === 'usage') return error.message;
    throw error;
  }
  throw new Error('expected a usage error');
}

/** ok counts per backend at `latencyMs`, plus `failed` failed requests, over `elapsedMs`. */
function summaryOf(counts: Record<string, number>, options: { latencyMs?: number; failed?: number; elapsedMs?: number } = {}): RunSummary {
  const ledger = new RunLedger();
  const micros = (options.latencyMs ?? 1) * 1_000;
  for (const [address, count] of Object.entries(counts)) for (let i = 0; i < count; i += 1) ledger.recordOk(address, micros);
  for (let i = 0; i < (options.failed ?? 0); i += 1) ledger.recordFailed('UNAVAILABLE', micros);
  return ledger.summary(options.elapsedMs ?? 1_000);
}

const parse = suite('threshold parsing');

parse('--max-p99: ms, s, or a bare number of ms', () => {
  assert.is(parseMaxP99Ms('200ms'), 200);
  assert.is(parseMaxP99Ms('200'), 200);
  assert.is(parseMaxP99Ms('0.5s'), 500);
  assert.is(parseMaxP99Ms('2s'), 2_000);
  assert.is(parseMaxP99Ms('0.001ms'), 0.001);
  assert.is(parseMaxP99Ms(' 15 ms '), 15);
  assert.is(parseMaxP99Ms('1m'), 60_000);
});

parse('--max-p99 rejects other units and garbage, naming the value and the form', () => {
  for (const bad of ['abc', '200us', '1x', '-5ms', '', 'ms', '1e3']) {
    const message = usageError(() => parseMaxP99Ms(bad));
    assert.ok(message.includes(`"${bad}"`), message);
    assert.ok(message.includes('200ms'), message);
  }
});

parse('--max-error-rate: a fraction or a percentage, within 0–1', () => {
  assert.is(parseMaxErrorRate('0'), 0);
  assert.is(parseMaxErrorRate('0.01'), 0.01);
  assert.is(parseMaxErrorRate('1%'), 0.01);
  assert.is(parseMaxErrorRate('100%'), 1);
  assert.is(parseMaxErrorRate('1'), 1);
  for (const bad of ['1.5', '101%', '-0.1', 'none', '%']) assert.ok(usageError(() => parseMaxErrorRate(bad)).includes('fraction from 0 to 1'), bad);
});

parse('--min-throughput: a positive number of tasks/s', () => {
  assert.is(parseMinThroughput('1000'), 1_000);
  assert.is(parseMinThroughput('1000/s'), 1_000);
  assert.is(parseMinThroughput('0.5'), 0.5);
  for (const bad of ['abc', '0', '-3', '1k']) assert.ok(usageError(() => parseMinThroughput(bad)).startsWith(`--min-throughput "${bad}": expected tasks per second`), bad);
});

parse('--max-imbalance: a ratio of at least 1', () => {
  assert.is(parseMaxImbalance('1'), 1);
  assert.is(parseMaxImbalance('1.2'), 1.2);
  for (const bad of ['0.9', '0', 'x', '120%']) assert.ok(usageError(() => parseMaxImbalance(bad)).includes('at least 1'), bad);
});

parse('flags: only the thresholds given', () => {
  assert.equal(thresholdsFromFlags({}), {});
  assert.is(hasThresholds(thresholdsFromFlags({})), false);
  assert.equal(thresholdsFromFlags({ 'max-p99': '1s', 'max-error-rate': '2%', 'min-throughput': '10', 'max-imbalance': '1.5' }), {
    maxP99Ms: 1_000,
    maxErrorRate: 0.02,
    minThroughputPerSec: 10,
    maxImbalance: 1.5,
  });
});

parse('a failed threshold has its own exit code', () => {
  assert.is(EXIT_CODES.threshold, 5);
  assert.is(new Set(Object.values(EXIT_CODES)).size, Object.keys(EXIT_CODES).length);
});

parse.run();

const evaluate = suite('threshold evaluation');

evaluate('imbalance: max/mean of ok counts over the backends present', () => {
  assert.is(computeImbalance(summaryOf({ a: 5, b: 5 })), 1);
  assert.is(computeImbalance(summaryOf({ a: 6, b: 2 })), 1.5);
  assert.is(computeImbalance(summaryOf({ a: 9 })), 1);
  assert.is(computeImbalance(summaryOf({})), 0);
});

evaluate('each threshold against its figure, at and past the limit', () => {
  const run = { summary: summaryOf({ a: 6, b: 2 }, { latencyMs: 10, failed: 2, elapsedMs: 1_000 }), imbalance: 1.5 };
  const outcome = evaluateThresholds({ maxP99Ms: 10, maxErrorRate: 0.2, minThroughputPerSec: 10, maxImbalance: 1.4 }, [run]);
  assert.equal(
    outcome.checks.map((check) => [check.name, check.measured, check.passed]),
    [
      ['max-p99', run.summary.latencyMs.p99, run.summary.latencyMs.p99 <= 10],
      ['max-error-rate', 0.2, true],
      ['min-throughput', 10, true],
      ['max-imbalance', 1.5, false],
    ],
  );
  assert.is(outcome.passed, false);
  assert.is(evaluateThresholds({ maxImbalance: 1.5 }, [run]).passed, true);
  assert.is(evaluateThresholds({ maxErrorRate: 0 }, [run]).passed, false);
  assert.is(evaluateThresholds({ minThroughputPerSec: 10.5 }, [run]).passed, false);
});

evaluate('a bench fails when any policy fails, and the check names that policy', () => {
  const even = { policy: 'round_robin', summary: summaryOf({ a: 4, b: 4 }), imbalance: 1 };
  const skewed = { policy: 'pick_first', summary: summaryOf({ a: 8 }, { latencyMs: 50 }), imbalance: 1 };
  const outcome = evaluateThresholds({ maxP99Ms: 20 }, [even, skewed]);
  assert.is(outcome.passed, false);
  assert.equal(
    outcome.checks.filter((check) => !check.passed).map((check) => check.policy),
    ['pick_first'],
  );
  assert.is(describeCheck(outcome.checks[1]!), `max-p99 (policy pick_first): measured ${skewed.summary.latencyMs.p99} ms, limit 20 ms`);
});

evaluate('error rate is shown as a percentage', () => {
  const outcome = evaluateThresholds({ maxErrorRate: 0.01 }, [{ summary: summaryOf({ a: 3 }, { failed: 1 }), imbalance: 1 }]);
  assert.is(describeCheck(outcome.checks[0]!), 'max-error-rate: measured 25%, limit 1%');
});

evaluate('no thresholds, no checks, passed', () => {
  assert.equal(evaluateThresholds({}, [{ summary: summaryOf({ a: 1 }), imbalance: 1 }]), { passed: true, checks: [] });
});

evaluate.run();
