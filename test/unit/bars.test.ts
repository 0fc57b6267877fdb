// Share bars and the tables that show them (send's distribution, bench's comparison): golden output with colour off.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { renderBar, shouldColor } from '../../src/cli/bars.js';
import { renderBenchComparison, renderBenchDistribution } from '../../src/cli/render-bench.js';
import { renderThresholds } from '../../src/cli/render-thresholds.js';
import { renderRunDistribution } from '../../src/cli/render-run.js';
import { evaluateThresholds } from '../../src/core/thresholds.js';
import { RunLedger, type RunSummary } from '../../src/core/stats/run-ledger.js';
import type { BenchResult } from '../../src/runtime/bench/bench-result.js';

/** A run where each backend got `counts[i]` ok answers of `latencyMs` each. */
function summaryOf(counts: Record<string, number>, latencyMs: number, elapsedMs: number): RunSummary {
  const ledger = new RunLedger();
  for (const [address, count] of Object.entries(counts)) for (let i = 0; i < count; i += 1) ledger.recordOk(address, latencyMs * 1_000);
  return ledger.summary(elapsedMs);
}

const bars = suite('bars');

bars('a full share is 20 cells; half is 10; nothing is empty', () => {
  assert.is(renderBar(1), '████████████████████');
  assert.is(renderBar(0.5), '██████████');
  assert.is(renderBar(0), '');
});

bars('eighths of a cell: 1/160 of the width each', () => {
  assert.is(renderBar(1 / 160), '▏');
  assert.is(renderBar(4 / 160), '▌');
  assert.is(renderBar(0.05 + 7 / 160), '█▉');
  assert.is(renderBar(0.33), '██████▋'); // 52.8 eighths round to 53: 6 cells and 5/8
});

bars('out-of-range and non-finite shares are clamped', () => {
  assert.is(renderBar(1.7), renderBar(1));
  assert.is(renderBar(-0.2), '');
  assert.is(renderBar(Number.NaN), '');
});

bars('width and padding', () => {
  assert.is(renderBar(0.5, { width: 4 }), '██');
  assert.is(renderBar(0.25, { width: 8, pad: true }), '██      ');
});

bars('colour only when asked; shouldColor needs a TTY and no NO_COLOR', () => {
  assert.is(renderBar(0.5, { width: 2, color: true }), '\u001b[36m█\u001b[39m');
  assert.is(renderBar(0, { color: true }), '');
  assert.is(shouldColor({ isTTY: true }, {}), true);
  assert.is(shouldColor({ isTTY: true }, { NO_COLOR: '1' }), false);
  assert.is(shouldColor({ isTTY: false }, {}), false);
  assert.is(shouldColor({}, {}), false);
});

bars.run();

const tables = suite('tables with bars (colour off)');

tables("send's distribution has a bar after SHARE", () => {
  const summary = summaryOf({ '127.0.0.1:7001': 3, '127.0.0.1:7002': 1 }, 2, 1_000);
  assert.fixture(
    renderRunDistribution(summary),
    [
      'BACKEND         REQUESTS  SHARE                        P50 MS  P99 MS  ERRORS',
      '127.0.0.1:7001         3  75.0%  ███████████████         2.00    2.00       0',
      '127.0.0.1:7002         1  25.0%  █████                   2.00    2.00       0',
    ].join('\n'),
  );
});

const bench: BenchResult = {
  schema: 'lbx.bench/v1',
  cluster: { name: 'bench-1', backends: 2, mode: 'lookaside', registry: 'embedded' },
  workload: { simple: 4, heavy: 0, concurrency: 1, seed: 7 },
  startedAtUnixMs: 0,
  policies: [
    { policy: 'round_robin', client: 'lbx', summary: summaryOf({ '127.0.0.1:7001': 2, '127.0.0.1:7002': 2 }, 1, 1_000), imbalance: 1 },
    { policy: 'pick_first', client: 'lbx', summary: summaryOf({ '127.0.0.1:7001': 4 }, 3, 2_000), imbalance: 1 },
  ],
};

tables("bench's comparison: one line per policy", () => {
  assert.fixture(
    renderBenchComparison(bench),
    [
      'POLICY       THROUGHPUT  P50 MS  P90 MS  P99 MS  MAX MS  IMBALANCE  FAILED  SPLIT',
      'round_robin         4/s    1.00    1.00    1.00    1.00       1.00       0  7001:50% 7002:50%',
      'pick_first          2/s    3.00    3.00    3.00    3.00       1.00       0  7001:100%',
    ].join('\n'),
  );
});

tables("bench's distribution: bars per policy, the policy named once", () => {
  assert.fixture(
    renderBenchDistribution(bench),
    [
      'POLICY       BACKEND         REQUESTS   SHARE',
      'round_robin  127.0.0.1:7001         2   50.0%  ██████████',
      '             127.0.0.1:7002         2   50.0%  ██████████',
      'pick_first   127.0.0.1:7001         4  100.0%  ████████████████████',
    ].join('\n'),
  );
});

tables('threshold verdicts name the check, the policy, the measured value and the limit', () => {
  // As a plain bench checks them: by policy, without the client.
  const runs = bench.policies.map(({ policy, summary, imbalance }) => ({ policy, summary, imbalance }));
  const outcome = evaluateThresholds({ maxP99Ms: 2, minThroughputPerSec: 3 }, runs);
  assert.is(
    renderThresholds(outcome),
    [
      'threshold failed: max-p99 (policy pick_first): measured 3.001 ms, limit 2 ms',
      'threshold failed: min-throughput (policy pick_first): measured 2 tasks/s, limit 3 tasks/s',
    ].join('\n'),
  );
  assert.is(renderThresholds(evaluateThresholds({ maxP99Ms: 10 }, runs)), 'thresholds: all 2 checks passed');
});

// bench --client lbx,xds: two arms of one policy, told apart by their client.
const armsBench: BenchResult = {
  ...bench,
  policies: [
    { policy: 'round_robin', client: 'lbx', summary: summaryOf({ '127.0.0.1:7001': 2, '127.0.0.1:7002': 2 }, 1, 1_000), imbalance: 1 },
    { policy: 'round_robin', client: 'xds', summary: summaryOf({ '127.0.0.1:7001': 3, '127.0.0.1:7002': 1 }, 2, 2_000), imbalance: 1.5 },
  ],
};

tables("bench --client: CLIENT is a column of the comparison and of the distribution, named on each arm's first row", () => {
  assert.fixture(
    renderBenchComparison(armsBench),
    [
      'POLICY       CLIENT  THROUGHPUT  P50 MS  P90 MS  P99 MS  MAX MS  IMBALANCE  FAILED  SPLIT',
      'round_robin  lbx            4/s    1.00    1.00    1.00    1.00       1.00       0  7001:50% 7002:50%',
      'round_robin  xds            2/s    2.00    2.00    2.00    2.00       1.50       0  7001:75% 7002:25%',
    ].join('\n'),
  );
  assert.fixture(
    renderBenchDistribution(armsBench),
    [
      'POLICY       CLIENT  BACKEND         REQUESTS  SHARE',
      'round_robin  lbx     127.0.0.1:7001         2  50.0%  ██████████',
      '                     127.0.0.1:7002         2  50.0%  ██████████',
      'round_robin  xds     127.0.0.1:7001         3  75.0%  ███████████████',
      '                     127.0.0.1:7002         1  25.0%  █████',
    ].join('\n'),
  );
  const outcome = evaluateThresholds({ maxImbalance: 1.2 }, armsBench.policies);
  assert.is(renderThresholds(outcome), 'threshold failed: max-imbalance (policy round_robin, client xds): measured 1.5, limit 1.2');
});

tables.run();
