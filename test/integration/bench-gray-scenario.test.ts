// lbx bench --scenario gray on a small workload: the baseline and rr, pq without and with defences, every row
// reconciling; the faults do damage to undefended round robin that defended prequal avoids; the LB's outlier detection
// off in the baseline and undefended arms and on in the defended ones, every arm with 2 send workers; nothing is left running.
// A bad --scenario is a usage error naming the value.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { GrayResult } from '../../src/runtime/bench/gray-scenario.js';
import { checkDocument } from '../helpers/json-schema-doc.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, findPidsMentioning, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';

const BASE_PORT = await freeBasePort();
/**
 * Enough for the faults to fail some of undefended rr's calls: a sixth of them meet 5 % UNAVAILABLE and another sixth
 * a 1 % hang, ≈ 6 failures expected (the backends draw with Math.random: none at all has a chance of e^-6 ≈ 0.25 %).
 */
const TASKS = 600;
const TEST_TIMEOUT_MS = 90_000;

const box = createSandbox('bench-gray');
const gray = suite('bench --scenario gray');

gray.after(() => {
  const left = killLeftovers(box);
  box.dispose();
  if (left.length > 0) console.error(`bench --scenario gray test: killed leftover pids ${left.join(', ')}`);
});

gray('rr and pq, without and with defences, plus the baseline: every row reconciles, rr undefended fails some, defended pq has the lower p99', async () => {
  const args = ['bench', '--scenario', 'gray', '--policies', 'rr,pq', '--simple', String(TASKS), '--heavy', '0', '--base-port', String(BASE_PORT), '--json'];
  const result = await withTimeout(box.run(args, { timeoutMs: TEST_TIMEOUT_MS }), TEST_TIMEOUT_MS, 'lbx bench --scenario gray');
  assert.is(result.exitCode, 0, `${result.stdout.slice(0, 2_000)}\n${result.stderr}`);
  const document = JSON.parse(result.stdout) as GrayResult;
  assert.equal(checkDocument('lbx.bench.gray/v1', document), []);
  assert.is(document.cluster.backends, 6);
  assert.equal(
    [document.baseline, ...document.rows].map((row) => [row.policy, row.defences]),
    [
      ['round_robin', 'baseline'],
      ['round_robin', 'none'],
      ['round_robin', 'defended'],
      ['prequal', 'none'],
      ['prequal', 'defended'],
    ],
  );
  for (const row of [document.baseline, ...document.rows]) {
    const arm = `${row.policy} ${row.defences}`;
    assert.is(row.sent, TASKS, arm);
    assert.is(row.ok + row.failed, row.sent, arm);
    assert.ok(row.reconciled, `${arm} does not reconcile`);
    assert.is(row.outlierDetection, row.defences === 'defended', `${arm}: outlier detection on only in defended arms`);
    if (!row.outlierDetection) assert.is(row.ejections, 0, `${arm}: no ejection with outlier detection off`);
  }
  assert.is(document.workload.workers, 2, 'several reporters, so the LB acts on failure reports');
  assert.is(document.baseline.failed, 0, 'no fault, no failure');
  const rrNone = document.rows.find((row) => row.policy === 'round_robin' && row.defences === 'none')!;
  const pqDefended = document.rows.find((row) => row.policy === 'prequal' && row.defences === 'defended')!;
  assert.ok(rrNone.failed > 0, 'undefended round robin meets the 5 % UNAVAILABLE backend');
  assert.ok(pqDefended.latencyMs.p99 < rrNone.latencyMs.p99, `defended pq p99 ${pqDefended.latencyMs.p99} ms, rr undefended ${rrNone.latencyMs.p99} ms`);
  assert.ok(document.best !== undefined);
  assert.equal(findPidsMentioning(box.home), [], 'the private cluster is stopped');
});

gray('--scenario foo: a usage error naming the value, before any cluster starts', async () => {
  const result = await withTimeout(box.run(['bench', '--scenario', 'foo', '--base-port', String(BASE_PORT)]), 20_000, 'bench --scenario foo');
  assert.is(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, 'Expected --scenario=foo to be one of: gray');
  assert.equal(findPidsMentioning(box.home), []);
});

gray.run();
