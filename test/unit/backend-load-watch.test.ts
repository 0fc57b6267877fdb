// BackendLoad's watcher slot: what the least-* pickers' index relies on to hear of every change.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendLoad, type LoadSample, type LoadWatcher } from '../../src/core/load/backend-load.js';

const sample: LoadSample = { inFlight: 3, queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 4, rssBytes: 0 };

/** A watcher that records what it was told. */
function recorder(): LoadWatcher & { changed: number[]; unwatchedCount: number } {
  const watcher = {
    changed: [] as number[],
    unwatchedCount: 0,
    loadChanged(slot: number) {
      watcher.changed.push(slot);
    },
    unwatched() {
      watcher.unwatchedCount += 1;
    },
  };
  return watcher;
}

const test = suite('BackendLoad: watching');

test('every change to what score() or inFlight() reads tells the watcher its slot; latency alone does not', () => {
  const load = new BackendLoad();
  const watcher = recorder();
  assert.ok(load.watch(watcher, 7));
  load.recordAssignment();
  load.recordReport(sample, 10);
  load.callStarted();
  load.callEnded(5, 11);
  assert.equal(watcher.changed, [7, 7, 7, 7]);
  load.recordLatency(9, 12);
  load.callEnded(5, 13); // nothing in flight: the count does not move
  assert.equal(watcher.changed, [7, 7, 7, 7]);
  assert.is(load.lastReportAtMs, 10);
});

test('a new watcher takes the slot over; the previous one is told once and hears nothing more', () => {
  const load = new BackendLoad();
  const older = recorder();
  const newer = recorder();
  load.watch(older, 0);
  assert.ok(load.watch(newer, 3));
  assert.is(older.unwatchedCount, 1);
  load.recordAssignment();
  assert.equal(older.changed, []);
  assert.equal(newer.changed, [3]);
  load.unwatch(older); // no longer the watcher: leaves the newer one alone
  load.recordAssignment();
  assert.equal(newer.changed, [3, 3]);
  load.unwatch(newer);
  load.recordAssignment();
  assert.equal(newer.changed, [3, 3]);
  assert.is(newer.unwatchedCount, 0);
});

test('watching the same load again (a second slot) returns false and does not tell the watcher it lost it', () => {
  const load = new BackendLoad();
  const watcher = recorder();
  assert.ok(load.watch(watcher, 1));
  assert.not.ok(load.watch(watcher, 2));
  assert.is(watcher.unwatchedCount, 0);
  load.recordAssignment();
  assert.equal(watcher.changed, [2]);
});

test('lastReportAtMs is undefined until the first report', () => {
  assert.is(new BackendLoad().lastReportAtMs, undefined);
});

test.run();
