// The --json documents of send, report and bench against the field tables of docs/json-schema.md.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { SendJson } from '../../src/commands/send.js';
import { evaluateThresholds } from '../../src/core/thresholds.js';
import { RunLedger } from '../../src/core/stats/run-ledger.js';
import type { BenchResult } from '../../src/runtime/bench/bench-result.js';
import type { ClusterReport } from '../../src/runtime/cluster/collect-report.js';
import { checkDocument, findUndocumented, findViolations, readSchemaTables } from '../helpers/json-schema-doc.js';

const ledger = new RunLedger();
ledger.recordOk('127.0.0.1:7001', 1_500);
ledger.recordOk('127.0.0.1:7002', 2_500);
ledger.recordAttemptFailure('127.0.0.1:7002', 'UNAVAILABLE');
ledger.recordRetry();
ledger.recordFailed('UNAVAILABLE', 9_000);
const summary = ledger.summary(250);
const thresholds = evaluateThresholds({ maxP99Ms: 5, maxImbalance: 1.2 }, [{ summary, imbalance: 1, policy: 'round_robin' }]);

const run = {
  schemaVersion: 1,
  id: 'run-1',
  clientId: 'lbx-send-1-abcd',
  target: { kind: 'lb', address: '127.0.0.1:7100' },
  policy: 'round_robin',
  seed: 42,
  planned: 3,
  startedAtUnixMs: 1_700_000_000_000,
  finishedAtUnixMs: 1_700_000_000_250,
  summary,
  lbWaits: 0,
  mode: 'lookaside',
  request: { simple: 3, heavy: 0, concurrency: 1, timeoutMs: 5_000 },
} as const satisfies Omit<SendJson, 'schema'>;

const send: SendJson = { schema: 'lbx.send/v1', ...run, thresholds };

const report: ClusterReport & { schema: 'lbx.report/v1' } = {
  schema: 'lbx.report/v1',
  name: 'default',
  policy: 'round_robin',
  mode: 'lookaside',
  policyConfig: '',
  lbAddress: '127.0.0.1:7100',
  lbReachable: true,
  picks: 3,
  unavailable: 0,
  backends: [
    {
      name: 'backend-7001',
      address: '127.0.0.1:7001',
      state: 'ready',
      exitReason: '',
      health: 'serving',
      lbState: 'serving',
      assigned: 1,
      servedSimple: 1,
      servedHeavy: 0,
      servedSource: 'live',
      inFlight: 0,
      queueDepth: 0,
      cpuPercent: 1.5,
      lastReportAgeMs: 120,
      clientOk: 1,
      weight: 1,
      speed: 1,
      assignedByPolicy: { round_robin: 1 },
      joinedAtUnixMs: 1_700_000_000_000,
      leftAtUnixMs: 0,
      restarts: 0,
      ejections: 0,
      ejected: false,
      failedAttempts: 0,
    },
  ],
  reconciliation: { matches: true, rows: [{ address: '127.0.0.1:7001', clientOk: 1, backendServed: 1, difference: 0, failedAttempts: 0, lostAnswers: 0, lateAnswers: 0 }] },
  unverified: [],
  runs: [run],
  inProgress: [],
  isDiskFull: false,
  faults: [{ address: '127.0.0.1:7002', summary: 'latency 200ms', expiresAtUnixMs: 0, delayed: 12, errored: 0, hung: 0 }],
  xds: {
    address: '127.0.0.1:7107',
    isAvailable: true,
    version: '4',
    versions: { Listener: '1', Cluster: '1', ClusterLoadAssignment: '3' },
    pushedAtUnixMs: 1_700_000_000_100,
    pushReason: 'membership',
    pushedToClients: 1,
    policy: 'weighted_round_robin',
    lbPolicy: 'round_robin',
    weighting: 'backend-weights',
    note: 'weighted_target over one locality per backend, locality weight = backend weight',
    endpoints: [{ address: '127.0.0.1:7001', weight: 2, health: 'HEALTHY' }],
    clients: 1,
  },
};

const bench: BenchResult = {
  schema: 'lbx.bench/v1',
  cluster: { name: 'bench-1', backends: 2, mode: 'lookaside', registry: 'embedded', speeds: [1, 0.5] },
  workload: { simple: 3, heavy: 0, concurrency: 1, seed: 42, keys: 10 },
  startedAtUnixMs: 1_700_000_000_000,
  policies: [
    {
      policy: 'round_robin',
      client: 'lbx',
      summary,
      imbalance: 1,
      loadSeries: [{ address: '127.0.0.1:7001', points: [{ atMs: 0, inFlight: 1, cpuPercent: 12.5 }] }],
      proxy: 'haproxy',
      proxyCpuMsPer1000: 41.5,
      killedBackend: '127.0.0.1:7002',
      loadAverage1m: 0.42,
    },
  ],
  thresholds,
  proxies: ['haproxy', 'nginx'],
  skipped: [{ policy: 'least_load', proxy: 'nginx', reason: 'the nginx data plane has no policy "least_load"' }],
};

const schema = suite('json schema (docs/json-schema.md)');

schema('the doc has a table for each document and the shared parts', () => {
  const tables = readSchemaTables();
  assert.equal([...tables.keys()].sort(), ['lbx.bench.gray/v1', 'lbx.bench/v1', 'lbx.report/v1', 'lbx.send/v1', 'lbx.sim/v1', 'run-summary', 'thresholds']);
  for (const [name, fields] of tables) assert.ok(fields.length >= 6, `${name} has ${fields.length} fields`);
  assert.ok(tables.get('lbx.send/v1')!.some((field) => field.path === 'schema' && !field.isOptional));
});

schema('send, report and bench documents carry every documented field with its type', () => {
  assert.equal(checkDocument('lbx.send/v1', send), []);
  assert.equal(checkDocument('lbx.report/v1', report), []);
  assert.equal(checkDocument('lbx.bench/v1', bench), []);
});

schema('optional fields may be absent', () => {
  const { thresholds: _thresholds, ...plain } = send;
  assert.equal(checkDocument('lbx.send/v1', plain), []);
  const xdsDown = { address: '127.0.0.1:7107', isAvailable: false, unavailableReason: '14 UNAVAILABLE: No connection established' } as const;
  assert.equal(checkDocument('lbx.report/v1', { ...report, xds: xdsDown }), [], 'an LB that is down: the xDS section says why, nothing else');
  const { loadSeries: _series, proxy: _proxy, proxyCpuMsPer1000: _cpu, killedBackend: _killed, loadAverage1m: _load, ...policy } = bench.policies[0]!;
  const { proxies: _proxies, skipped: _skipped, ...lookaside } = bench;
  assert.equal(checkDocument('lbx.bench/v1', { ...lookaside, policies: [policy], cluster: { ...bench.cluster, speeds: undefined } }), []);
});

schema('the checker catches a missing field, a wrong type, a bad nested element and an undocumented field', () => {
  const { seed: _seed, ...noSeed } = send;
  assert.equal(checkDocument('lbx.send/v1', noSeed), ['seed: missing (documented as integer)']);
  assert.equal(checkDocument('lbx.report/v1', { ...report, picks: '3' }), ['picks: expected integer, found "3"']);
  const broken = { ...bench, policies: [{ ...bench.policies[0]!, summary: { ...summary, latencyMs: { ...summary.latencyMs, p99: null } } }] };
  assert.equal(checkDocument('lbx.bench/v1', broken), ['policies[0].summary.latencyMs.p99: expected number, found null']);
  assert.equal(checkDocument('lbx.send/v1', { ...send, target: undefined }), ['target.kind: missing (documented as string)', 'target.address: missing (documented as string)']);
  assert.equal(findViolations({ a: [{ b: 1 }, {}] }, [{ path: 'a[].b', type: 'integer', isOptional: false }]), ['a[1].b: missing (documented as integer)']);
  // A field no table lists fails too, at any depth; data keyed by name (assignedByPolicy) does not.
  assert.equal(checkDocument('lbx.send/v1', { ...send, surprise: 1 }), ['surprise: not documented']);
  assert.equal(checkDocument('lbx.send/v1', { ...send, summary: { ...summary, latencyMs: { ...summary.latencyMs, p95: 1 } } }), ['summary.latencyMs.p95: not documented']);
  const withExtra = { ...report, backends: [{ ...report.backends[0]!, secret: 'x', assignedByPolicy: { any_policy_name: 3 } }] };
  assert.equal(checkDocument('lbx.report/v1', withExtra), ['backends[0].secret: not documented']);
  assert.equal(checkDocument('lbx.report/v1', { ...report, runs: [{ ...run, extra: true }] }), ['runs[0].extra: not documented']);
  assert.equal(findUndocumented({ a: { b: 1, c: 2 } }, [{ path: 'a.b', type: 'integer', isOptional: false }]), ['a.c: not documented']);
});

schema.run();
