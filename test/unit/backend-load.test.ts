// BackendLoad: the score is fresh in-flight plus assignments since the last report; exact
// in-flight in proxy mode; a decaying peak EWMA of latency.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendLoad, DEFAULT_EWMA_DECAY_MS, DEFAULT_STALE_AFTER_MS, type LoadSample } from '../../src/core/load/backend-load.js';
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

const calls = suite('BackendLoad: exact in-flight (proxy mode)');

calls('callStarted and callEnded keep an exact count that never goes below 0', () => {
  const load = new BackendLoad();
  assert.is(load.hasTrackedCalls, false);
  load.callStarted();
  load.callStarted();
  load.callStarted();
  assert.is(load.inFlightExact, 3);
  assert.is(load.hasTrackedCalls, true);
  load.callEnded(5, 10);
  assert.is(load.inFlightExact, 2);
  load.callEnded(5, 20);
  load.callEnded(5, 30);
  load.callEnded(5, 40); // one end too many: a caller's bug, not a negative count
  assert.is(load.inFlightExact, 0);
  load.callStarted();
  assert.is(load.inFlightExact, 1);
});

calls('look-aside mode: inFlight is the score (fresh report plus assignments since)', () => {
  const load = new BackendLoad({ staleAfterMs: 1_000 });
  load.recordReport(sample(4), 0);
  load.recordAssignment();
  load.recordAssignment();
  assert.is(load.inFlight(500), 6);
  assert.is(load.inFlight(500), load.score(500));
  assert.is(load.inFlight(1_001), 2, 'a stale report drops out, as in the score');
  load.callEnded(5, 1_002); // an end without any start does not switch to exact counting
  assert.is(load.inFlight(1_002), 2);
});

calls('proxy mode: once a call is tracked, inFlight is the exact count and ignores reports and assignments', () => {
  const load = new BackendLoad();
  for (let i = 0; i < 5; i += 1) load.recordAssignment();
  load.recordReport(sample(9), 0);
  load.callStarted();
  load.callStarted();
  assert.is(load.inFlight(0), 2);
  assert.is(load.score(0), 9, 'the score itself is unchanged');
  load.callEnded(3, 1);
  load.callEnded(3, 2);
  assert.is(load.inFlight(2), 0, "all ended: exactly 0, not the report's 9");
});

calls('a call that ends feeds its latency to the EWMA', () => {
  const load = new BackendLoad();
  load.callStarted();
  load.callEnded(42, 1_000);
  assert.ok(load.hasLatencySample);
  assert.is(load.peakEwmaMs(1_000), 42);
});

calls.run();

const ewma = suite('BackendLoad: decaying peak EWMA of latency');
const TAU = DEFAULT_EWMA_DECAY_MS;

ewma('the default τ is 10 s', () => {
  assert.is(DEFAULT_EWMA_DECAY_MS, 10_000);
  assert.is(new BackendLoad().ewmaDecayMs, 10_000);
});

ewma('no sample: 0 and hasLatencySample false; the first sample is the estimate', () => {
  const load = new BackendLoad();
  assert.is(load.hasLatencySample, false);
  assert.is(load.peakEwmaMs(0), 0);
  load.recordLatency(25, 500);
  assert.is(load.hasLatencySample, true);
  assert.is(load.peakEwmaMs(500), 25);
});

ewma('a higher sample (a peak) replaces the estimate at once', () => {
  const load = new BackendLoad();
  load.recordLatency(10, 0);
  load.recordLatency(10, 1);
  load.recordLatency(500, 2);
  assert.is(load.peakEwmaMs(2), 500);
});

ewma('a lower sample moves the estimate by 1 − exp(-Δt/τ): none at Δt = 0, (1 − 1/e) at Δt = τ', () => {
  const load = new BackendLoad();
  load.recordLatency(100, 0);
  load.recordLatency(10, 0);
  assert.is(load.peakEwmaMs(0), 100, 'a lower sample at the same instant changes nothing');
  load.recordLatency(40, TAU);
  const expected = 100 * Math.exp(-1) + 40 * (1 - Math.exp(-1));
  assert.ok(Math.abs(load.peakEwmaMs(TAU) - expected) < 1e-9, `${load.peakEwmaMs(TAU)} vs ${expected}`);
});

ewma('reading decays the estimate towards 0 by exp(-Δt/τ), without storing the decay', () => {
  const load = new BackendLoad();
  load.recordLatency(100, 1_000);
  assert.ok(Math.abs(load.peakEwmaMs(1_000 + TAU) - 100 * Math.exp(-1)) < 1e-9);
  assert.ok(Math.abs(load.peakEwmaMs(1_000 + 2 * TAU) - 100 * Math.exp(-2)) < 1e-9);
  assert.ok(Math.abs(load.peakEwmaMs(1_000 + 2_500) - 100 * Math.exp(-2_500 / TAU)) < 1e-9);
  // However often it was read, a new sample blends with the estimate as of the last sample.
  load.recordLatency(40, 1_000 + TAU);
  assert.ok(Math.abs(load.peakEwmaMs(1_000 + TAU) - (100 * Math.exp(-1) + 40 * (1 - Math.exp(-1)))) < 1e-9);
});

ewma('τ is configurable and the decay follows it', () => {
  const load = new BackendLoad({ ewmaDecayMs: 2_000 });
  load.recordLatency(80, 0);
  assert.ok(Math.abs(load.peakEwmaMs(2_000) - 80 * Math.exp(-1)) < 1e-9);
  assert.ok(Math.abs(load.peakEwmaMs(1_000) - 80 * Math.exp(-0.5)) < 1e-9);
});

ewma('a clock reading earlier than the last sample does not inflate or move the estimate back', () => {
  const load = new BackendLoad();
  load.recordLatency(60, 5_000);
  assert.is(load.peakEwmaMs(4_000), 60);
  load.recordLatency(20, 4_000); // stamped earlier: Δt counts as 0, so no weight for it
  assert.is(load.peakEwmaMs(5_000), 60);
  assert.ok(Math.abs(load.peakEwmaMs(5_000 + TAU) - 60 * Math.exp(-1)) < 1e-9, 'time did not move back to 4000');
});

ewma('negative or non-finite samples are dropped', () => {
  const load = new BackendLoad();
  for (const latencyMs of [-1, Number.NaN, Infinity]) load.recordLatency(latencyMs, 0);
  assert.is(load.hasLatencySample, false);
  load.recordLatency(0, 0);
  assert.is(load.hasLatencySample, true, 'a 0 ms sample is a real (fast) sample');
  assert.is(load.peakEwmaMs(0), 0);
});

ewma("a report's recentLatencyMs feeds the EWMA at the report's time; 0 does not", () => {
  const load = new BackendLoad();
  load.recordReport({ ...sample(1), recentLatencyMs: 0 }, 0);
  assert.is(load.hasLatencySample, false);
  load.recordReport({ ...sample(1), recentLatencyMs: 30 }, 1_000);
  assert.is(load.peakEwmaMs(1_000), 30);
  load.recordReport({ ...sample(1), recentLatencyMs: 90 }, 2_000);
  assert.is(load.peakEwmaMs(2_000), 90, "a report's peak replaces too");
  load.recordReport({ ...sample(1), recentLatencyMs: 10 }, 2_000 + TAU);
  assert.ok(Math.abs(load.peakEwmaMs(2_000 + TAU) - (90 * Math.exp(-1) + 10 * (1 - Math.exp(-1)))) < 1e-9);
});

ewma('rejects an ewmaDecayMs that is not positive', () => {
  for (const ewmaDecayMs of [0, -5, Number.NaN, Infinity]) {
    assert.throws(
      () => new BackendLoad({ ewmaDecayMs }),
      (error: unknown) =>
        error instanceof LbxError && error.code === 'usage' && error.message.includes(`ewmaDecayMs must be a positive number of milliseconds, got ${ewmaDecayMs}`),
    );
  }
});

ewma.run();
