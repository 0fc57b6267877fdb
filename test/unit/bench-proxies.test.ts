// bench --proxy: the data-plane list, which policies each data plane runs (and the usage errors before any cluster starts), and the table's PROXY columns.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { parseProxyList, planProxyArms, type ProxyBenchChecks } from '../../src/cli/bench-proxies.js';
import { renderBenchComparison, renderBenchResult } from '../../src/cli/render-bench.js';
import { renderBenchHtml } from '../../src/cli/html/render-bench-html.js';
import { isLbxError } from '../../src/core/lbx-error.js';
import { resolvePolicy } from '../../src/core/policies/index.js';
import { RunLedger } from '../../src/core/stats/run-ledger.js';
import type { BenchResult } from '../../src/runtime/bench/bench-result.js';

const installed = (binary: string): string | undefined => `/usr/sbin/${binary}`;
const checks: ProxyBenchChecks = { mode: 'lookaside', isModeGiven: false, clients: ['lbx'], find: installed };

function usageMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isLbxError(error) && error.code === 'usage', String(error));
    return error.message;
  }
  throw new Error('expected a usage error');
}

const policies = (names: string): ReturnType<typeof resolvePolicy>[] => names.split(',').map((name) => resolvePolicy(name));

const test = suite('bench --proxy');

test('the list: in order, each once; an unknown name is refused naming it and the choices', () => {
  assert.equal(parseProxyList('nginx, lbx,nginx'), ['nginx', 'lbx']);
  assert.match(
    usageMessage(() => parseProxyList('lbx,foo')),
    '--proxy "lbx,foo": unknown data plane "foo"; expected one of: lbx, haproxy, nginx',
  );
  assert.match(
    usageMessage(() => parseProxyList(' , ')),
    'expected data planes (lbx, haproxy, nginx)',
  );
});

test('each data plane runs the policies it has; the others are skipped with the reason', () => {
  const plans = planProxyArms(['lbx', 'haproxy', 'nginx'], policies('rr,ll,ch'), checks);
  assert.equal(
    plans.map((plan) => [plan.proxy, plan.policies.map((policy) => policy.name), plan.skipped.map((skip) => skip.policy)]),
    [
      ['lbx', ['round_robin', 'least_load', 'consistent_hash'], []],
      ['haproxy', ['round_robin', 'consistent_hash'], ['least_load']],
      ['nginx', ['round_robin', 'consistent_hash'], ['least_load']],
    ],
  );
  assert.match(plans[1]!.skipped[0]!.reason, 'the haproxy data plane has no policy "least_load"; it supports: round_robin');
  const bounded = planProxyArms(['haproxy', 'nginx'], policies('ch'), { ...checks, hashBalance: 1.25 });
  assert.equal(
    bounded.map((plan) => plan.policies.length),
    [1, 0],
  );
  assert.match(bounded[1]!.skipped[0]!.reason, '--hash-balance needs --proxy haproxy');
});

test('usage errors before any cluster starts: --mode lookaside, --client xds, a missing binary, nothing to run', () => {
  assert.match(
    usageMessage(() => planProxyArms(['lbx'], policies('rr'), { ...checks, isModeGiven: true })),
    'drop --mode lookaside',
  );
  assert.ok(planProxyArms(['lbx'], policies('rr'), { ...checks, mode: 'proxy', isModeGiven: true }).length === 1, 'an explicit --mode proxy is fine');
  assert.match(
    usageMessage(() => planProxyArms(['lbx'], policies('rr'), { ...checks, clients: ['lbx', 'xds'] })),
    '--proxy and --client xds cannot be combined',
  );
  const noNginx = { ...checks, find: (binary: string) => (binary === 'nginx' ? undefined : installed(binary)) };
  assert.match(
    usageMessage(() => planProxyArms(['lbx', 'nginx'], policies('rr'), noNginx)),
    'install the Debian package "nginx" (apt-get install nginx)',
  );
  // A data plane that runs nothing needs no binary.
  assert.is(planProxyArms(['lbx', 'nginx'], policies('ll'), noNginx)[1]!.policies.length, 0);
  assert.match(
    usageMessage(() => planProxyArms(['haproxy'], policies('ll,ewma'), checks)),
    'no data plane runs any of --policies ll,ewma',
  );
});

function benchResult(): BenchResult {
  const ledger = new RunLedger();
  for (let i = 0; i < 4; i += 1) ledger.recordOk(`127.0.0.1:${7001 + (i % 2)}`, 2_000);
  const summary = ledger.summary(1_000);
  const row = { policy: 'round_robin', client: 'lbx' as const, summary, imbalance: 1, loadAverage1m: 0.5 };
  return {
    schema: 'lbx.bench/v1',
    cluster: { name: 'bench-1', backends: 2, mode: 'proxy', registry: 'embedded' },
    workload: { simple: 4, heavy: 0, concurrency: 2, seed: 1 },
    startedAtUnixMs: 1_700_000_000_000,
    policies: [
      { ...row, proxy: 'lbx', proxyCpuMsPer1000: 611 },
      { ...row, proxy: 'haproxy', proxyCpuMsPer1000: 37.2, killedBackend: '127.0.0.1:7002' },
      { ...row, policy: 'least_load', proxy: 'lbx', proxyCpuMsPer1000: 702 },
    ],
    proxies: ['lbx', 'haproxy'],
    skipped: [{ policy: 'least_load', proxy: 'haproxy', reason: 'the haproxy data plane has no policy "least_load"' }],
  };
}

test('the table: PROXY, PROXY CPU MS/1K and LOAD columns; a skipped arm keeps its place; notes say how the arms ran', () => {
  const lines = renderBenchComparison(benchResult()).split('\n');
  assert.match(lines[0]!, /^POLICY\s+PROXY\s+THROUGHPUT .* FAILED\s+PROXY CPU MS\/1K\s+LOAD\s+SPLIT$/);
  assert.equal(
    lines.slice(1).map((row) => row.split(/\s+/).slice(0, 2)),
    [
      ['round_robin', 'lbx'],
      ['round_robin', 'haproxy'],
      ['least_load', 'lbx'],
      ['least_load', 'haproxy'],
    ],
  );
  assert.match(lines[2]!, /\s37\.2\s+0\.50\s+7001:50% 7002:50%$/);
  assert.match(lines[4]!, /—\s+skipped \(see below\)$/);
  const text = renderBenchResult(benchResult(), { color: false });
  assert.match(text, 'data planes ran one after the other, each on a private cluster of its own');
  assert.match(text, '--kill-during: backend 127.0.0.1:7002 SIGKILLed halfway through each run');
  assert.match(text, 'skipped: least_load on haproxy: the haproxy data plane has no policy "least_load"');
});

test('without --proxy the table is as it was: no PROXY columns', () => {
  const { proxies: _proxies, skipped: _skipped, ...plain } = benchResult();
  const head = renderBenchComparison(plain).split('\n')[0]!;
  assert.not.match(head, 'PROXY');
  assert.not.match(head, 'LOAD');
});

test('the HTML page labels each run with its data plane and charts the proxy CPU', () => {
  const html = renderBenchHtml(benchResult());
  assert.match(html, 'round_robin · haproxy');
  assert.match(html, 'data-chart="proxy-cpu"');
  assert.match(html, '<th>proxy CPU ms/1k</th>');
  assert.match(html, 'skipped: least_load on haproxy');
});

test.run();
