// lbx bench on a small workload (private cluster, gone afterwards; a running one by --name, left running) and CI thresholds on send and bench.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { BenchResult } from '../../src/runtime/bench/bench-result.js';
import { checkDocument } from '../helpers/json-schema-doc.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BENCH_BASE_PORT = await freeBasePort();
const CLUSTER_BASE_PORT = await freeBasePort();
const TEST_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------- a private cluster
const privateBox = createSandbox('bench-private');
const privateBench = suite('bench on its own cluster');

privateBench.after(async () => {
  const left = killLeftovers(privateBox);
  privateBox.dispose();
  if (left.length > 0) console.error(`bench test: killed leftover pids ${left.join(', ')}`);
});

privateBench('rr and ll on 2 backends: two summaries, no errors, the cluster gone afterwards', async () => {
  const result = await withTimeout(
    privateBox.run([
      'bench',
      '--policies',
      'rr,ll',
      '--backends',
      '2',
      '--simple',
      '300',
      '--heavy',
      '10',
      '--base-port',
      String(BENCH_BASE_PORT),
      '--registry',
      'embedded',
      '--seed',
      '7',
      '--json',
      '--html',
      path.join(privateBox.home, 'bench.html'),
    ]),
    TEST_TIMEOUT_MS,
    'lbx bench',
  );
  assert.is(result.exitCode, 0, `${result.stderr}\n${privateBox.logs()}`);
  const bench = JSON.parse(result.stdout) as BenchResult;
  assert.equal(checkDocument('lbx.bench/v1', bench), []);
  assert.is(bench.schema, 'lbx.bench/v1');
  assert.equal(bench.workload, { simple: 300, heavy: 10, concurrency: 16, seed: 7 });
  assert.equal(bench.cluster.backends, 2);
  assert.equal(
    bench.policies.map((entry) => entry.policy),
    ['round_robin', 'least_load'],
  );
  for (const entry of bench.policies) {
    assert.is(entry.summary.sent, 310, entry.policy);
    assert.is(entry.summary.ok, 310, entry.policy);
    assert.is(entry.summary.failed, 0, entry.policy);
    assert.ok(entry.imbalance >= 1, `${entry.policy} imbalance ${entry.imbalance}`);
    assert.equal(
      entry.summary.backends.map((backend) => backend.address),
      [`127.0.0.1:${BENCH_BASE_PORT + 1}`, `127.0.0.1:${BENCH_BASE_PORT + 2}`],
    );
    // Fresh counters per policy: each run's ok counts add up to its own tasks only.
    assert.is(
      entry.summary.backends.reduce((sum, backend) => sum + backend.ok, 0),
      310,
    );
    assert.is(entry.loadSeries?.length, 2, `${entry.policy} load series`);
  }
  // Round robin alternates exactly.
  assert.equal(
    bench.policies[0]!.summary.backends.map((backend) => backend.ok),
    [155, 155],
  );
  // The same run's HTML page: every chart drawn with data, and no reference to anything outside the file.
  const html = readFileSync(path.join(privateBox.home, 'bench.html'), 'utf8');
  const charts = [...html.matchAll(/data-chart="([^"]+)" data-points="(\d+)"/g)].map((match) => [match[1], Number(match[2])] as const);
  assert.ok(charts.length >= 4, `charts in the page: ${JSON.stringify(charts)}`);
  assert.ok(
    charts.every(([, points]) => points > 0),
    `every chart has data: ${JSON.stringify(charts)}`,
  );
  assert.not.match(html, /<script|https?:\/\//);
  assert.ok(await eventually(() => privateBox.leftoverPids().length === 0, 5_000), `leftover pids: ${privateBox.leftoverPids().join(', ')}`);
  assert.equal(
    readdirSync(privateBox.home).filter((entry) => entry.startsWith('bench-')),
    [],
  );
});

privateBench('a bad threshold is a usage error (exit 2) before any cluster starts', async () => {
  const result = await privateBox.run(['bench', '--min-throughput', 'abc', '--base-port', String(BENCH_BASE_PORT)]);
  assert.is(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /--min-throughput "abc": expected tasks per second/);
  assert.equal(privateBox.leftoverPids(), []);
});

privateBench('a failed threshold exits 5, names the policy, and still stops the cluster', async () => {
  const result = await withTimeout(
    privateBox.run(['bench', '--policies', 'rr', '--backends', '2', '--simple', '50', '--base-port', String(BENCH_BASE_PORT), '--registry', 'embedded', '--max-p99', '0.001ms']),
    TEST_TIMEOUT_MS,
    'lbx bench --max-p99',
  );
  assert.is(result.exitCode, 5, result.stderr);
  assert.match(result.stderr, /threshold failed: max-p99 \(policy round_robin\): measured [\d.]+ ms, limit 0\.001 ms/);
  assert.match(result.stdout, /round_robin/);
  assert.ok(await eventually(() => privateBox.leftoverPids().length === 0, 5_000), `leftover pids: ${privateBox.leftoverPids().join(', ')}`);
});

privateBench.run();

// ---------------------------------------------------------------- a running cluster
const box = createSandbox('bench-shared');
const shared = suite('send thresholds and bench on a running cluster');

shared.before(async () => {
  await box.json(['up', '--name', 'lab', '--backends', '2', '--base-port', String(CLUSTER_BASE_PORT), '--registry', 'embedded']);
});

shared.after(async () => {
  await box.run(['down', '--name', 'lab']).catch(() => undefined);
  killLeftovers(box);
  box.dispose();
});

shared('send --max-p99 0.001ms exits 5 and names the threshold, with the checks in --json', async () => {
  const text = await box.run(['send', '--name', 'lab', '--simple', '50', '--max-p99', '0.001ms']);
  assert.is(text.exitCode, 5, text.stderr);
  assert.match(text.stderr, /threshold failed: max-p99: measured [\d.]+ ms, limit 0\.001 ms/);
  const json = await box.json<{ schema: string; thresholds: { passed: boolean; checks: Array<{ name: string; limit: number; passed: boolean }> } }>(
    ['send', '--name', 'lab', '--simple', '50', '--max-p99', '0.001ms', '--max-error-rate', '0'],
    { allowFailure: true },
  );
  assert.is(json.schema, 'lbx.send/v1');
  assert.equal(checkDocument('lbx.send/v1', json), []);
  assert.equal(
    json.thresholds.checks.map((check) => [check.name, check.limit, check.passed]),
    [
      ['max-p99', 0.001, false],
      ['max-error-rate', 0, true],
    ],
  );
});

shared('send thresholds that hold exit 0; a bad one exits 2 naming the value', async () => {
  const ok = await box.run(['send', '--name', 'lab', '--simple', '50', '--max-error-rate', '1%', '--max-p99', '10s']);
  assert.is(ok.exitCode, 0, ok.stderr);
  const bad = await box.run(['send', '--name', 'lab', '--simple', '50', '--min-throughput', 'abc']);
  assert.is(bad.exitCode, 2, bad.stderr);
  assert.match(bad.stderr, /--min-throughput "abc"/);
});

shared('report --json carries its schema', async () => {
  const report = await box.json<{ schema: string }>(['report', '--name', 'lab']);
  assert.is(report.schema, 'lbx.report/v1');
  assert.equal(checkDocument('lbx.report/v1', report), []);
});

shared('bench --name uses the running cluster and leaves it running; cluster-shaping flags are refused', async () => {
  const bench = await withTimeout(box.json<BenchResult>(['bench', '--name', 'lab', '--policies', 'p2c', '--simple', '60']), TEST_TIMEOUT_MS, 'lbx bench --name');
  assert.is(bench.cluster.name, 'lab');
  assert.is(bench.policies[0]!.summary.ok, 60);
  const status = await box.run(['status', '--name', 'lab']);
  assert.is(status.exitCode, 0, status.stderr);
  assert.ok(existsSync(path.join(box.home, 'lab')));
  const refused = await box.run(['bench', '--name', 'lab', '--backends', '3', '--simple', '10']);
  assert.is(refused.exitCode, 2, refused.stderr);
  assert.match(refused.stderr, /cluster "lab" is running: --backends would shape a new cluster/);
});

shared.run();
