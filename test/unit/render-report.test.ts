// `lbx report` as plain text: every line within 100 columns by default, every column with --wide.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { renderReport } from '../../src/cli/render-report.js';
import { REPORT_WIDTH } from '../../src/cli/render-report-tables.js';
import { visibleWidth } from '../../src/cli/table.js';
import { RunLedger } from '../../src/core/stats/run-ledger.js';
import type { BackendReport, ClusterReport } from '../../src/runtime/cluster/collect-report.js';
import type { XdsReport } from '../../src/runtime/xds/collect-xds-status.js';
import type { SavedRun } from '../../src/runtime/cluster/run-store.js';

const START_MS = 1_764_920_000_000;

function backend(port: number, overrides: Partial<BackendReport> = {}): BackendReport {
  return {
    name: `backend-${port}`,
    address: `127.0.0.1:${port}`,
    state: 'ready',
    exitReason: '',
    health: 'serving',
    lbState: 'serving',
    assigned: 2_345_678,
    servedSimple: 2_000_000,
    servedHeavy: 345_678,
    servedSource: 'live',
    inFlight: 12,
    queueDepth: 0,
    cpuPercent: 97.5,
    lastReportAgeMs: 120,
    clientOk: 2_345_678,
    weight: 1,
    speed: 1,
    assignedByPolicy: { round_robin: 2_000_000, least_load: 345_678 },
    joinedAtUnixMs: START_MS,
    leftAtUnixMs: 0,
    restarts: 0,
    failedAttempts: 0,
    ejections: 0,
    ejected: false,
    ...overrides,
  };
}

function run(index: number, ports: readonly number[]): SavedRun {
  const ledger = new RunLedger();
  for (const port of ports) ledger.recordOk(`127.0.0.1:${port}`, 1_500 + index);
  return {
    schemaVersion: 1,
    id: `run-${index}`,
    clientId: `lbx-send-${index}`,
    target: { kind: 'lb', address: '127.0.0.1:27100' },
    policy: 'weighted_round_robin',
    seed: index,
    startedAtUnixMs: START_MS + index * 60_000,
    finishedAtUnixMs: START_MS + index * 60_000 + 5_000,
    summary: ledger.summary(5_000),
    lbWaits: 0,
    mode: 'proxy',
    request: { simple: 1_000_000, heavy: 250_000, concurrency: 64, timeoutMs: 5_000 },
  } as unknown as SavedRun;
}

/** A busy cluster: 64 backends, big counts, a crash, an LB removal, odd speeds and weights, restarts, 10 runs over all of them. */
function busyReport(): ClusterReport {
  const ports = Array.from({ length: 64 }, (_, index) => 27_001 + index);
  const backends = ports.map((port, index) =>
    backend(port, {
      speed: index === 3 ? 0.25 : 1,
      weight: index === 2 ? 4 : 1,
      restarts: index === 5 ? 3 : 0,
      ...(index === 1
        ? {
            state: 'exited',
            exitReason: 'signal SIGKILL (killed by lbx kill)',
            health: '-',
            lbState: 'removed: health check failed',
            servedSource: 'last-report',
            leftAtUnixMs: START_MS + 9_000,
          }
        : {}),
    }),
  );
  return {
    name: 'a-rather-long-cluster-name',
    policy: 'consistent_hash',
    mode: 'proxy',
    policyConfig: 'slots=4096 vnodes=40 hash=murmur3 balance=1.25',
    lbAddress: '127.0.0.1:27100',
    lbReachable: true,
    picks: 123_456_789,
    unavailable: 12_345,
    backends,
    reconciliation: { matches: true, rows: [] },
    unverified: ['127.0.0.1:27002'],
    runs: Array.from({ length: 10 }, (_, index) => run(index, ports)),
    inProgress: [],
    xds: XDS_DOWN,
    faults: [],
  } as unknown as ClusterReport;
}

const XDS_DOWN: XdsReport = { address: '127.0.0.1:27107', isAvailable: false, unavailableReason: '14 UNAVAILABLE: No connection established' };

/** What a `wrr` cluster with weights 1,2,5 pushed, one of them draining (so its share goes to the others). */
function wrrXds(overrides: Partial<Extract<XdsReport, { isAvailable: true }>> = {}): XdsReport {
  return {
    address: '127.0.0.1:27107',
    isAvailable: true,
    version: '7',
    versions: { Listener: '1', Cluster: '2', ClusterLoadAssignment: '5' },
    pushedAtUnixMs: START_MS + 1_234,
    pushReason: 'membership',
    pushedToClients: 2,
    policy: 'weighted_round_robin',
    lbPolicy: 'round_robin',
    weighting: 'backend-weights',
    note: 'weighted_target over one locality per backend, locality weight = backend weight',
    endpoints: [
      { address: '127.0.0.1:27001', weight: 1, health: 'HEALTHY' },
      { address: '127.0.0.1:27002', weight: 2, health: 'HEALTHY' },
      { address: '127.0.0.1:27003', weight: 5, health: 'HEALTHY' },
      { address: '127.0.0.1:27004', weight: 8, health: 'DRAINING' },
    ],
    clients: 3,
    ...overrides,
  };
}

const widest = (text: string): number => Math.max(...text.split('\n').map(visibleWidth));

const report = suite('report text');

report('fits 100 columns by default, even for a busy cluster', () => {
  const text = renderReport(busyReport());
  assert.ok(widest(text) <= REPORT_WIDTH, `widest line ${widest(text)}:\n${text.split('\n').find((line) => visibleWidth(line) > REPORT_WIDTH)}`);
  for (const head of ['BACKEND', 'STATE', 'HEALTH', 'SERVED', 'SHARE', 'CLIENT OK']) assert.match(text, new RegExp(`\\b${head}\\b`));
});

report('fits with colour on too (codes take no room)', () => {
  assert.ok(widest(renderReport(busyReport(), { color: true })) <= REPORT_WIDTH);
});

report('what the fitted table leaves out is said in notes: exit and LB removal reasons', () => {
  // Notes wrap at 100 columns: read them unwrapped.
  const text = renderReport(busyReport()).replace(/\n {2}/g, ' ');
  assert.match(text, /127\.0\.0\.1:27002: exited \(signal SIGKILL \(killed by lbx kill\)\); the LB removed it \(health check failed\)/);
  assert.match(text, /LB removed/, 'the health column says the LB removed it');
});

report('--wide shows every column, as before', () => {
  const text = renderReport(busyReport(), { wide: true });
  for (const head of ['SPEED', 'WEIGHT', 'LB VIEW', 'JOINED', 'LEFT', 'RESTARTS', 'SIMPLE', 'HEAVY', 'LB ASSIGNED', 'IN FLIGHT', 'CPU %', 'MODE', 'THROUGHPUT', 'SPLIT']) {
    assert.match(text, new RegExp(head), head);
  }
  assert.match(text, /27001:2%/, 'the per-run split');
  assert.ok(widest(text) > REPORT_WIDTH, 'wide is wide');
});

report('a small, plain cluster keeps its figures in the fitted form', () => {
  const small = { ...busyReport(), backends: [backend(27_001), backend(27_002)], runs: [], unverified: [], mode: 'lookaside', policyConfig: '' } as ClusterReport;
  const text = renderReport(small);
  assert.not.match(text, /SPEED|WEIGHT|RESTARTS/, 'columns that say the same for every backend are left out');
  assert.match(text, /^127\.0\.0\.1:27001\s+ready\s+serving\s+2,345,678\s+50\.0%/m);
});

report('faults in force are a section of their own, with the calls each touched; none, no section', () => {
  const faults = [{ address: '127.0.0.1:27002', summary: '5% UNAVAILABLE', expiresAtUnixMs: 0, delayed: 0, errored: 17, hung: 0 }];
  assert.match(renderReport({ ...busyReport(), faults }), /^ {2}127\.0\.0\.1:27002: 5% UNAVAILABLE \(delayed 0, errored 17, hung 0\)$/m);
  assert.not.match(renderReport(busyReport()), /faults injected/);
  assert.match(renderReport({ ...busyReport(), faultsUnavailable: 'backend-27003 did not answer' }), /faults: could not be read \(backend-27003 did not answer\)/);
});

report('outlier ejections are a note naming each backend, the one out now marked; none, no note', () => {
  const backends = [backend(27_001, { ejections: 2, ejected: true }), backend(27_002, { ejections: 1 }), backend(27_003)];
  const text = renderReport({ ...busyReport(), backends }).replace(/\n {2}/g, ' ');
  assert.match(text, /outlier ejections \(lbx logs lb says why: evidence=…\): 127\.0\.0\.1:27001 ×2 \(ejected now\), 127\.0\.0\.1:27002 ×1(\n|$)/m);
  assert.not.match(renderReport(busyReport()), /outlier ejections/);
});

report.run();

const xds = suite('report xDS section');

xds('the pushed plan: version, why, to whom, what the policy became, and each endpoint with weight, share and health', () => {
  const text = renderReport({ ...busyReport(), xds: wrrXds() });
  assert.ok(widest(text) <= REPORT_WIDTH, `widest line ${widest(text)}`);
  assert.match(text, /^xDS 127\.0\.0\.1:27107 \(xds:\/\/\/lbx-backend\): 3 stock clients connected$/m);
  assert.match(text, /^last push: plan v7 at 07:33:21\.234 \(membership\), sent to 2 clients$/m);
  assert.match(text, /^for stock clients: weighted_round_robin → round_robin, backend-weights weights \(weighted_target/m);
  assert.match(text, /^ENDPOINT\s+PUSHED WEIGHT\s+SHARE\s+HEALTH$/m);
  assert.match(text, /^127\.0\.0\.1:27001\s+1\s+12\.5%\s+HEALTHY$/m);
  assert.match(text, /^127\.0\.0\.1:27002\s+2\s+25\.0%\s+HEALTHY$/m);
  assert.match(text, /^127\.0\.0\.1:27003\s+5\s+62\.5%\s+HEALTHY$/m);
  assert.match(text, /^127\.0\.0\.1:27004\s+8\s+0\.0%\s+DRAINING$/m, 'a draining endpoint gets no new calls');
  assert.ok(text.indexOf('xDS 127.0.0.1:27107') > text.indexOf('send run'), 'after the runs');
});

xds('ring_hash and pick_first weights split no calls: no shares; one client is singular', () => {
  const text = renderReport({ ...busyReport(), xds: wrrXds({ policy: 'consistent_hash', lbPolicy: 'ring_hash', weighting: 'equal', clients: 1, pushedToClients: 1 }) });
  assert.match(text, /: 1 stock client connected$/m);
  assert.match(text, /, sent to 1 client$/m);
  assert.match(text, /^127\.0\.0\.1:27001\s+1\s+-\s+HEALTHY$/m);
});

xds('an LB that is down: the section says xDS is unavailable and why, the rest of the report is as before', () => {
  const text = renderReport(busyReport());
  assert.match(text, /^xDS: unavailable \(the LB's control plane at 127\.0\.0\.1:27107 did not answer: 14 UNAVAILABLE/m);
  assert.not.match(text, /PUSHED WEIGHT/);
  assert.match(text, /\bCLIENT OK\b/);
});

xds('before any push, and with no backend serving', () => {
  const text = renderReport({ ...busyReport(), xds: wrrXds({ version: '', endpoints: [] }) });
  assert.match(text, /^last push: no plan pushed yet$/m);
  assert.match(text, /^no endpoints pushed \(no backend is serving\)$/m);
});

xds.run();
