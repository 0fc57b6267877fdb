// bench --scenario gray: its document against docs/json-schema.md, the best defended row, the table (baseline first,
// the best marked, the targets named), the HTML page's charts, and the arms planned.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { bestDefended, GRAY_SCHEMA, GRAY_TARGETS, planGrayArms, type GrayResult, type GrayRow } from '../../src/runtime/bench/gray-scenario.js';
import { renderGrayHtml } from '../../src/cli/html/render-gray-html.js';
import { renderGrayResult, renderGrayTable } from '../../src/cli/render-gray.js';
import { checkDocument } from '../helpers/json-schema-doc.js';

function row(policy: string, defences: GrayRow['defences'], figures: { p99: number; failed?: number; reconciled?: boolean }): GrayRow {
  const failed = figures.failed ?? 0;
  return {
    policy,
    defences,
    sent: 1_000,
    ok: 1_000 - failed,
    failed,
    goodputPerSec: 512.5,
    errorRate: failed / 1_000,
    latencyMs: { p50: 8.2, p99: figures.p99, p999: figures.p99 * 2 },
    p99OverBaseline: figures.p99 / 80,
    healthyBackendsP99Ms: 79,
    retried: defences === 'defended' ? 40 : 0,
    hedged: defences === 'defended' ? 90 : 0,
    outlierDetection: defences === 'defended',
    ejections: defences === 'defended' ? 2 : 0,
    reconciled: figures.reconciled ?? true,
    loadAverage1m: 1.25,
  };
}

function result(rows: readonly GrayRow[]): GrayResult {
  return {
    schema: GRAY_SCHEMA,
    scenario: 'gray',
    cluster: { name: 'bench-1', backends: 6, mode: 'lookaside', registry: 'embedded' },
    workload: { simple: 1_000, heavy: 0, concurrency: 16, seed: 7, timeoutMs: 1_000, workers: 2 },
    faults: [
      { address: '127.0.0.1:7001', fault: '+200 ms latency' },
      { address: '127.0.0.1:7002', fault: '5% UNAVAILABLE' },
      { address: '127.0.0.1:7003', fault: '1% hang' },
    ],
    healthy: ['127.0.0.1:7004', '127.0.0.1:7005', '127.0.0.1:7006'],
    defences: { none: 'no retries, no hedging', defended: '2 retries within a 20% retry budget, a hedge after 60 ms' },
    startedAtUnixMs: 1_700_000_000_000,
    baseline: row('round_robin', 'baseline', { p99: 80 }),
    rows,
    ...(bestDefended(rows) ? { best: bestDefended(rows)! } : {}),
    targets: GRAY_TARGETS,
  };
}

const ROWS = [
  row('round_robin', 'none', { p99: 240, failed: 13 }),
  row('round_robin', 'defended', { p99: 130 }),
  row('prequal', 'none', { p99: 60, failed: 7 }),
  row('prequal', 'defended', { p99: 90 }),
];

const test = suite('bench --scenario gray');

test('the arms: the baseline, then each policy without and with defences', () => {
  assert.equal(planGrayArms(['round_robin', 'prequal']), [
    { policy: 'round_robin', defences: 'baseline' },
    { policy: 'round_robin', defences: 'none' },
    { policy: 'round_robin', defences: 'defended' },
    { policy: 'prequal', defences: 'none' },
    { policy: 'prequal', defences: 'defended' },
  ]);
});

test('the best defended row is the lowest p99 among defended rows (an undefended one never), judged against the targets', () => {
  assert.equal(bestDefended(ROWS), { policy: 'prequal', p99OverBaseline: 90 / 80, errorRate: 0, meetsTargets: true });
  assert.is(bestDefended([row('prequal', 'defended', { p99: 130 })])?.meetsTargets, false, '1.63× the baseline');
  assert.is(bestDefended([row('prequal', 'defended', { p99: 90, failed: 2 })])?.meetsTargets, false, '0.2 % errors');
  assert.is(bestDefended(ROWS.filter((entry) => entry.defences === 'none')), undefined);
});

test('the document matches docs/json-schema.md (and without its optional parts)', () => {
  assert.equal(checkDocument('lbx.bench.gray/v1', result(ROWS)), []);
  assert.equal(checkDocument('lbx.bench.gray/v1', { ...result(ROWS), interrupted: true, rows: [{ ...ROWS[0]!, interrupted: true }] }), []);
  const { best: _best, ...withoutBest } = result([]);
  assert.equal(checkDocument('lbx.bench.gray/v1', withoutBest), []);
  assert.equal(checkDocument('lbx.bench.gray/v1', { ...result(ROWS), rows: [{ ...ROWS[0]!, p99OverBaseline: '3' }] }), ['rows[0].p99OverBaseline: expected number, found "3"']);
});

test('the table: the baseline first, one row per policy and defences, the best marked, figures and reconciliation per row', () => {
  const lines = renderGrayTable(result(ROWS)).split('\n');
  assert.match(lines[0]!, /^POLICY\s+DEFENCES\s+GOODPUT\s+ERRORS\s+P50 MS\s+P99 MS\s+P99\.9 MS\s+P99 ÷ BASELINE\s+OUTLIER DETECTION\s+OK\+FAILED=SENT RECONCILED$/);
  assert.is(lines.length, 6);
  assert.match(lines[1]!, /^round_robin\s+baseline, no faults\s+513\/s\s+0\.00%\s+8\.20\s+80\.0\s+160\s+1\.00\s+off\s+1,000\+0=1,000 yes$/);
  assert.match(lines[2]!, /^round_robin\s+none\s+.*1\.30%\s+8\.20\s+240\s+480\s+3\.00\s+off\s+987\+13=1,000 yes$/);
  assert.match(lines[5]!, /\s+on, 2 ejected\s+/);
  assert.match(lines[5]!, /^\* prequal\s+defended\s/);
  assert.is(lines.filter((line) => line.startsWith('* ')).length, 1);
});

test('the notes name the faults, the defences, the baseline, the best against the targets; a row that does not reconcile is called out', () => {
  const text = renderGrayResult(result(ROWS), { html: 'gray.html' });
  assert.match(text, /faults: 127\.0\.0\.1:7001 \+200 ms latency, 127\.0\.0\.1:7002 5% UNAVAILABLE, 127\.0\.0\.1:7003 1% hang; healthy: 127\.0\.0\.1:7004/);
  assert.match(text, /\* best defended: prequal: p99 1\.13× the baseline \(target ≤ 1\.5×\), errors 0\.00% \(target ≤ 0\.10%\): targets met/);
  assert.match(text, /every row reconciles/);
  assert.match(text, /HTML report: gray\.html$/);
  const broken = renderGrayResult(result([...ROWS.slice(0, 3), row('prequal', 'defended', { p99: 90, reconciled: false })]));
  assert.match(broken, /NOT reconciled: prequal defended/);
  assert.match(broken, /1,000\+0=1,000 NO/);
});

test('the HTML page: the table, the notes and four charts, one group per policy plus the baseline', () => {
  const html = renderGrayHtml(result(ROWS));
  for (const chart of ['gray-p99', 'gray-p99-ratio', 'gray-errors', 'gray-goodput']) assert.match(html, new RegExp(`data-chart="${chart}"`), chart);
  assert.match(html, /★ prequal/);
  assert.match(html, /<td>baseline, no faults<\/td>/);
  const p99Chart = html.slice(html.indexOf('data-chart="gray-p99"'), html.indexOf('data-chart="gray-p99-ratio"'));
  assert.is((p99Chart.match(/<rect class="bar"/g) ?? []).length, 5, 'the baseline, and two bars for each of two policies');
  assert.not.match(html, /<script/);
});

test.run();
