// BackendLoad: the score is fresh in-flight plus assignments since the last report.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendLoad, DEFAULT_STALE_AFTER_MS, type LoadSample } from '../../src/core/load/backend-load.js';
import { LbxError } from '../../src/core/lbx-error.js';

const sample = (inFlight: number): LoadSample => ({
  inFlight,
  queueDepth: 0,
  cpuPercent: 12.5,
  servedSimple: 40,
  servedHeavy: 2,
  recentLatencyMs: 3,
  rssBytes: 50_000_000,
});

const test = suite('BackendLoad');

test('starts idle with no report', () => {
  const load = new BackendLoad();
  assert.is(load.score(0), 0);
  assert.is(load.assignedTotal, 0);
  assert.is(load.lastReport, undefined);
  assert.is(load.lastReportAgeMs(1_000), undefined);
  assert.is(load.isReportFresh(0), false);
  assert.is(load.staleAfterMs, DEFAULT_STALE_AFTER_MS);
});

test('each assignment raises the score at once, without any report', () => {
  const load = new BackendLoad();
  load.recordAssignment();
  load.recordAssignment();
  load.recordAssignment();
  assert.is(load.score(0), 3);
  assert.is(load.assignedTotal, 3);
});

test('a report replaces assignments made before it with its in-flight figure', () => {
  const load = new BackendLoad();
  for (let i = 0; i < 5; i += 1) load.recordAssignment();
  load.recordReport(sample(2), 100);
  assert.is(load.score(100), 2);
  load.recordAssignment();
  assert.is(load.score(150), 3);
  assert.is(load.assignedTotal, 6, 'the lifetime total is not reset by reports');
  assert.equal(load.lastReport, sample(2));
  assert.is(load.lastReportAgeMs(150), 50);
});

test('a report goes stale strictly after staleAfterMs; assignments since it keep counting', () => {
  const load = new BackendLoad({ staleAfterMs: 1_000 });
  load.recordReport(sample(7), 10_000);
  load.recordAssignment();
  assert.ok(load.isReportFresh(11_000), 'fresh at exactly staleAfterMs');
  assert.is(load.score(11_000), 8);
  assert.not.ok(load.isReportFresh(11_001));
  assert.is(load.score(11_001), 1, 'the in-flight figure is dropped, the assignment is not');
  load.recordAssignment();
  assert.is(load.score(20_000), 2, 'a silent backend keeps accumulating and is gradually avoided');
});

test('the default staleness is 1500 ms', () => {
  const load = new BackendLoad();
  load.recordReport(sample(4), 0);
  assert.is(load.score(1_500), 4);
  assert.is(load.score(1_501), 0);
});

test('a nonsensical reported in-flight figure counts as 0', () => {
  const load = new BackendLoad();
  load.recordReport(sample(-3), 0);
  assert.is(load.score(0), 0);
  load.recordReport(sample(Number.NaN), 0);
  load.recordAssignment();
  assert.is(load.score(0), 1);
});

test('the stored report is a copy', () => {
  const load = new BackendLoad();
  const report = sample(1);
  load.recordReport(report, 0);
  report.inFlight = 99;
  assert.is(load.score(0), 1);
});

test('rejects a staleAfterMs that is not positive', () => {
  for (const staleAfterMs of [0, -1, Number.NaN, Infinity]) {
    assert.throws(
      () => new BackendLoad({ staleAfterMs }),
      (error: unknown) => error instanceof LbxError && error.code === 'usage' && error.message.includes(String(staleAfterMs)),
    );
  }
});

test.run();
