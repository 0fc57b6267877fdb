// Look-aside exact in-flight counts and outcomes: picks on a stream start tracked calls; reported ends end them and reach the balancer once.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer } from '../../src/core/balancer.js';
import { BackendLoad } from '../../src/core/load/backend-load.js';
import { roundRobin } from '../../src/core/policies/index.js';
import type { PickableBackend } from '../../src/core/policies/policy.js';
import { PickTracker, type OutcomeSink } from '../../src/runtime/lb/pick-tracker.js';
import { pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const UNAVAILABLE = 14;

const backendAt = (address: string): PickableBackend => ({ address, id: `backend-${address}`, weight: 1, load: new BackendLoad() });

/** An outcome sink that keeps every call, so tests count them. */
function recordingSink(): OutcomeSink & { readonly calls: [string, boolean, number][] } {
  const calls: [string, boolean, number][] = [];
  return { calls, recordOutcome: (address, ok, statusCode) => void calls.push([address, ok, statusCode]) };
}

const test = suite('PickTracker');

test('a pick starts a tracked call; its reported end ends it once, with its latency', () => {
  const backend = backendAt('127.0.0.1:7001');
  const tracker = new PickTracker(recordingSink(), () => 1_000);
  tracker.started(1, backend);
  tracker.started(2, backend);
  assert.equal([backend.load.hasTrackedCalls, backend.load.inFlightExact], [true, 2]);
  tracker.ended([{ requestId: 1, latencyMs: 40, ok: true, statusCode: 0 }]);
  assert.equal(backend.load.inFlightExact, 1);
  assert.ok(backend.load.hasLatencySample, 'the reported latency feeds the EWMA');
  // A second report for the same pick, or one for a pick never made, changes nothing.
  tracker.ended([
    { requestId: 1, latencyMs: 40, ok: true, statusCode: 0 },
    { requestId: 99, latencyMs: 1, ok: true, statusCode: 0 },
  ]);
  assert.equal(backend.load.inFlightExact, 1);
});

test('each reported end tells the balancer its backend, ok and status code, once', () => {
  const sink = recordingSink();
  const tracker = new PickTracker(sink, () => 0);
  tracker.started(1, backendAt('127.0.0.1:7001'));
  tracker.started(2, backendAt('127.0.0.1:7002'));
  tracker.ended([
    { requestId: 2, latencyMs: 3, ok: false, statusCode: UNAVAILABLE },
    { requestId: 2, latencyMs: 3, ok: false, statusCode: UNAVAILABLE },
    { requestId: 77, latencyMs: 3, ok: false, statusCode: UNAVAILABLE },
  ]);
  tracker.ended([
    { requestId: 1, latencyMs: 3, ok: true, statusCode: 0 },
    { requestId: 2, latencyMs: 3, ok: false, statusCode: UNAVAILABLE },
  ]);
  assert.equal(sink.calls, [
    ['127.0.0.1:7002', false, UNAVAILABLE],
    ['127.0.0.1:7001', true, 0],
  ]);
});

test('a closed stream ends everything still outstanding, without inventing latencies or outcomes', () => {
  const backend = backendAt('127.0.0.1:7001');
  const sink = recordingSink();
  const tracker = new PickTracker(sink, () => 0);
  for (let id = 1; id <= 5; id += 1) tracker.started(id, backend);
  tracker.releaseAll();
  assert.equal(backend.load.inFlightExact, 0);
  assert.not.ok(backend.load.hasLatencySample);
  tracker.releaseAll();
  assert.equal(backend.load.inFlightExact, 0);
  assert.equal(sink.calls.length, 0);
});

test('a negative or non-finite latency is ignored but the call still ends and its outcome still counts', () => {
  const backend = backendAt('127.0.0.1:7001');
  const sink = recordingSink();
  const tracker = new PickTracker(sink, () => 0);
  tracker.started(7, backend);
  tracker.ended([{ requestId: 7, latencyMs: Number.NaN, ok: false, statusCode: UNAVAILABLE }]);
  assert.equal(backend.load.inFlightExact, 0);
  assert.not.ok(backend.load.hasLatencySample);
  assert.equal(sink.calls.length, 1);
});

test('through a real balancer: three reported failures eject the backend; the same report three times does not', () => {
  const clock = fakeClock();
  const balancer = new Balancer(roundRobin, { random: seededRandom(1), nowMs: clock.nowMs, wallMs: clock.nowMs });
  for (const port of [7001, 7002, 7003, 7004]) balancer.register(`backend-${port}`, `127.0.0.1:${port}`);
  const tracker = new PickTracker(balancer, clock.nowMs);
  const target = balancer.stats().backends[0]?.address ?? '';
  const pickOf = (address: string): PickableBackend => {
    // Round robin reaches every backend within one cycle.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      const result = balancer.pick(pickRequest());
      if (result.kind === 'backend' && result.backend.address === address) return result.backend;
    }
    throw new Error(`${address} was not picked within one round-robin cycle`);
  };
  const ejected = () => balancer.stats().backends.find((backend) => backend.address === target)?.ejected;
  tracker.started(1, pickOf(target));
  for (let repeat = 0; repeat < 3; repeat += 1) tracker.ended([{ requestId: 1, latencyMs: 5, ok: false, statusCode: UNAVAILABLE }]);
  assert.is(ejected(), false);
  assert.is(balancer.stats().backends[0]?.failuresReported, 1);
  tracker.started(2, pickOf(target));
  tracker.started(3, pickOf(target));
  tracker.ended([
    { requestId: 2, latencyMs: 5, ok: false, statusCode: UNAVAILABLE },
    { requestId: 3, latencyMs: 5, ok: false, statusCode: UNAVAILABLE },
  ]);
  assert.is(ejected(), true);
});

test.run();
