// lbx bench --client lbx,xds: each policy once through lbx's picks and once through a stock grpc-js-xds client (in its
// own process), both arms in the table, --json and the HTML page; and --client with an unknown name refused up front.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { BenchResult } from '../../src/runtime/bench/bench-result.js';
import { checkDocument } from '../helpers/json-schema-doc.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, findPidsMentioning, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';

const BASE_PORT = await freeBasePort();
const TASKS = 200;
const TEST_TIMEOUT_MS = 60_000;
/** What the xds arm's process carries in its argv: the cluster's xDS address (base+107). */
const XDS_ARM_MARKER = `"xdsAddress":"127.0.0.1:${BASE_PORT + 107}"`;

const box = createSandbox('bench-clients');
const clients = suite('bench --client lbx,xds');

clients.after(() => {
  const xdsArms = findPidsMentioning(XDS_ARM_MARKER);
  for (const pid of xdsArms) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  const left = [...killLeftovers(box), ...xdsArms];
  box.dispose();
  if (left.length > 0) console.error(`bench --client test: killed leftover pids ${left.join(', ')}`);
});

clients('rr under both clients: two rows, every task ok once, each split summing to the tasks; no xds process left', async () => {
  const html = path.join(box.home, 'bench.html');
  const args = ['bench', '--client', 'lbx,xds', '--policies', 'rr', '--backends', '2', '--simple', String(TASKS), '--seed', '11'];
  const result = await withTimeout(
    box.run([...args, '--base-port', String(BASE_PORT), '--registry', 'embedded', '--max-error-rate', '0', '--html', html, '--json']),
    TEST_TIMEOUT_MS,
    'lbx bench --client lbx,xds',
  );
  assert.is(result.exitCode, 0, `${result.stderr}\n${box.logs()}`);
  const bench = JSON.parse(result.stdout) as BenchResult;
  assert.equal(checkDocument('lbx.bench/v1', bench), []);
  assert.equal(
    bench.policies.map((entry) => [entry.policy, entry.client]),
    [
      ['round_robin', 'lbx'],
      ['round_robin', 'xds'],
    ],
  );
  const backends = [`127.0.0.1:${BASE_PORT + 1}`, `127.0.0.1:${BASE_PORT + 2}`];
  for (const entry of bench.policies) {
    const arm = `${entry.policy} via ${entry.client}`;
    assert.is(entry.summary.sent, TASKS, arm);
    assert.is(entry.summary.ok, TASKS, arm);
    assert.is(entry.summary.failed, 0, arm);
    assert.equal(
      entry.summary.backends.map((backend) => backend.address),
      backends,
      arm,
    );
    assert.is(
      entry.summary.backends.reduce((sum, backend) => sum + backend.ok, 0),
      TASKS,
      `${arm}: per-backend ok counts add up to its own tasks`,
    );
    // The stock client spreads over both backends too: a split of all-on-one would mean it never saw round_robin's EDS.
    assert.ok(
      entry.summary.backends.every((backend) => backend.ok > 0),
      `${arm}: ${JSON.stringify(entry.summary.backends.map((backend) => backend.ok))}`,
    );
  }
  // Thresholds are checked per arm and name the client.
  assert.equal(
    bench.thresholds?.checks.map((check) => [check.name, check.policy, check.client, check.passed]),
    [
      ['max-error-rate', 'round_robin', 'lbx', true],
      ['max-error-rate', 'round_robin', 'xds', true],
    ],
  );
  const page = readFileSync(html, 'utf8');
  assert.match(page, /round_robin · lbx/);
  assert.match(page, /round_robin · xds/);
  assert.ok(await eventually(() => box.leftoverPids().length === 0 && findPidsMentioning(XDS_ARM_MARKER).length === 0, 5_000), 'no cluster or xds arm process left');
});

clients('the table has a CLIENT column with a row per arm', async () => {
  const result = await withTimeout(
    box.run(['bench', '--client', 'xds,lbx', '--policies', 'rr', '--backends', '2', '--simple', '50', '--base-port', String(BASE_PORT), '--registry', 'embedded']),
    TEST_TIMEOUT_MS,
    'lbx bench --client xds,lbx',
  );
  assert.is(result.exitCode, 0, `${result.stderr}\n${box.logs()}`);
  assert.match(result.stdout, /^POLICY\s+CLIENT\s+THROUGHPUT/m);
  const rows = result.stdout.split('\n').filter((line) => /^round_robin\s+(lbx|xds)\s+[\d,]+\/s\s/.test(line));
  assert.equal(
    rows.map((line) => line.split(/\s+/)[1]),
    ['xds', 'lbx'],
    'arms in the order given',
  );
});

clients('--client foo is a usage error naming the value and the choices, before any cluster starts', async () => {
  const result = await box.run(['bench', '--client', 'lbx,foo', '--policies', 'rr', '--base-port', String(BASE_PORT)]);
  assert.is(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /--client "lbx,foo": unknown client "foo"; expected one of: lbx, xds/);
  assert.is(result.stdout, '');
  assert.equal(box.leftoverPids(), []);
});

clients.run();
