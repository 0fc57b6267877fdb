// Look-aside exact in-flight counts: picks on a stream start tracked calls; reported ends and a closed stream end them.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { BackendLoad } from '../../src/core/load/backend-load.js';
import { PickTracker } from '../../src/runtime/lb/pick-tracker.js';

const test = suite('PickTracker');

test('a pick starts a tracked call; its reported end ends it once, with its latency', () => {
  const load = new BackendLoad();
  const tracker = new PickTracker(() => 1_000);
  tracker.started(1, load);
  tracker.started(2, load);
  assert.equal([load.hasTrackedCalls, load.inFlightExact], [true, 2]);
  tracker.ended([{ requestId: 1, latencyMs: 40, ok: true }]);
  assert.equal(load.inFlightExact, 1);
  assert.ok(load.hasLatencySample, 'the reported latency feeds the EWMA');
  // A second report for the same pick, or one for a pick never made, changes nothing.
  tracker.ended([{ requestId: 1, latencyMs: 40, ok: true }, { requestId: 99, latencyMs: 1, ok: true }]);
  assert.equal(load.inFlightExact, 1);
});

test('a closed stream ends everything still outstanding, without inventing latencies', () => {
  const load = new BackendLoad();
  const tracker = new PickTracker(() => 0);
  for (let id = 1; id <= 5; id += 1) tracker.started(id, load);
  tracker.releaseAll();
  assert.equal(load.inFlightExact, 0);
  assert.not.ok(load.hasLatencySample);
  tracker.releaseAll();
  assert.equal(load.inFlightExact, 0);
});

test('a negative or non-finite latency is ignored but the call still ends', () => {
  const load = new BackendLoad();
  const tracker = new PickTracker(() => 0);
  tracker.started(7, load);
  tracker.ended([{ requestId: 7, latencyMs: Number.NaN, ok: false }]);
  assert.equal(load.inFlightExact, 0);
  assert.not.ok(load.hasLatencySample);
});

test.run();
