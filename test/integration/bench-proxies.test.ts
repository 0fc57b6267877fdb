// lbx bench --proxy lbx,haproxy,nginx: the same seeded workload through each data plane, each on a private cluster of
// its own on the same ports, one row per data plane with the proxy's CPU per 1,000 calls from /proc; --proxy foo refused.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { BenchResult } from '../../src/runtime/bench/bench-result.js';
import { findSystemExecutable } from '../../src/runtime/registry/find-executable.js';
import { checkDocument } from '../helpers/json-schema-doc.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, findPidsMentioning, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';

const BASE_PORT = await freeBasePort();
const TASKS = 300;
const BACKENDS = 3;
const TEST_TIMEOUT_MS = 80_000;

const box = createSandbox('bench-proxies');
const proxies = suite('bench --proxy');

proxies.after(() => {
  const left = killLeftovers(box);
  box.dispose();
  if (left.length > 0) console.error(`bench --proxy test: killed leftover pids ${left.join(', ')}`);
});

const missing = (['haproxy', 'nginx'] as const).filter((kind) => findSystemExecutable(kind) === undefined);

if (missing.length > 0) {
  console.log(
    `bench --proxy lbx,haproxy,nginx: skipped — no ${missing.join(' or ')} binary on PATH or in /usr/sbin (apt-get install ${missing.join(' ')}; npm run setup installs them)`,
  );
} else {
  proxies('rr through lbx, haproxy and nginx: three rows, every task ok once, splits sum, proxy CPU measured, nothing left running', async () => {
    const args = ['bench', '--proxy', 'lbx,haproxy,nginx', '--policies', 'rr', '--backends', String(BACKENDS), '--simple', String(TASKS), '--seed', '7'];
    const result = await withTimeout(
      box.run([...args, '--base-port', String(BASE_PORT), '--registry', 'embedded', '--max-error-rate', '0', '--json']),
      TEST_TIMEOUT_MS,
      'lbx bench --proxy lbx,haproxy,nginx',
    );
    const bench = JSON.parse(result.stdout) as BenchResult;
    // --json keeps stderr quiet: the failures and the checks come from the document.
    const failures = bench.policies.map((entry) => `${entry.proxy ?? '?'}: ${entry.summary.failed} failed ${JSON.stringify(entry.summary.failuresByReason)}`);
    assert.is(result.exitCode, 0, `${failures.join('; ')}\n${JSON.stringify(bench.thresholds)}\n${result.stderr}`);
    assert.equal(checkDocument('lbx.bench/v1', bench), []);
    assert.equal(bench.proxies, ['lbx', 'haproxy', 'nginx']);
    assert.is(bench.cluster.mode, 'proxy');
    assert.equal(
      bench.policies.map((entry) => [entry.policy, entry.proxy]),
      [
        ['round_robin', 'lbx'],
        ['round_robin', 'haproxy'],
        ['round_robin', 'nginx'],
      ],
    );
    const backends = Array.from({ length: BACKENDS }, (_, index) => `127.0.0.1:${BASE_PORT + 1 + index}`);
    for (const entry of bench.policies) {
      const arm = `round_robin on ${entry.proxy ?? '?'}`;
      assert.equal([entry.summary.sent, entry.summary.ok, entry.summary.failed], [TASKS, TASKS, 0], arm);
      // The same backends (ports) behind every data plane, each served, the counts summing to the tasks.
      assert.equal(
        entry.summary.backends.map((backend) => backend.address),
        backends,
        arm,
      );
      assert.is(
        entry.summary.backends.reduce((sum, backend) => sum + backend.ok, 0),
        TASKS,
        arm,
      );
      for (const backend of entry.summary.backends) assert.ok(backend.ok > 0, `${arm}: ${backend.address} served nothing`);
      assert.ok((entry.proxyCpuMsPer1000 ?? 0) > 0, `${arm}: proxy CPU ${entry.proxyCpuMsPer1000} ms per 1,000 calls`);
      assert.type(entry.loadAverage1m, 'number', arm);
    }
    assert.equal(
      bench.thresholds?.checks.map((check) => check.proxy),
      ['lbx', 'haproxy', 'nginx'],
    );
    assert.equal(findPidsMentioning(box.home), [], 'every private cluster (and its HAProxy or NGINX) stopped');
  });
}

proxies('--proxy foo: a usage error naming it and the choices, before any cluster starts', async () => {
  const result = await withTimeout(box.run(['bench', '--proxy', 'lbx,foo', '--base-port', String(BASE_PORT)]), 20_000, 'bench --proxy lbx,foo');
  assert.is(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, '--proxy "lbx,foo": unknown data plane "foo"; expected one of: lbx, haproxy, nginx');
  assert.equal(findPidsMentioning(box.home), []);
});

proxies.run();
