// least_connections: fewest requests in flight (exact in proxy mode), ties at random.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { leastConnections } from '../../src/core/policies/least-connections.js';
import { IGNORE_OUTCOME, type PickableBackend } from '../../src/core/policies/policy.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

function startCalls(backend: PickableBackend | undefined, count: number): void {
  for (let i = 0; i < count; i += 1) backend?.load.callStarted();
}

const test = suite('least_connections');

test('proxy mode: picks the backend with the fewest calls in flight, as callStarted/callEnded change', () => {
  const backends = makeBackends(4);
  const [a, b, c, d] = backends;
  startCalls(a, 3);
  startCalls(b, 1);
  startCalls(c, 2);
  startCalls(d, 2);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(1), nowMs: fakeClock().nowMs });
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7002');
  startCalls(b, 2); // b: 3
  assert.ok(['127.0.0.1:7003', '127.0.0.1:7004'].includes(pickedAddress(picker.pick(pickRequest()))));
  a?.load.callEnded(5, 0);
  a?.load.callEnded(5, 0);
  a?.load.callEnded(5, 0); // a: 0
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
});

test('proxy mode: the exact count wins over a report that says otherwise', () => {
  const backends = makeBackends(2);
  const [a, b] = backends;
  const report = { inFlight: 50, queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 };
  a?.load.recordReport(report, 0); // a's report is stale news: the LB saw its calls end
  a?.load.callStarted();
  a?.load.callEnded(3, 0);
  startCalls(b, 1);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
});

test('proxy mode, 5000 picks with calls ending at random: every pick is a backend with the fewest in flight', () => {
  const random = seededRandom(99);
  const clock = fakeClock();
  const backends = makeBackends(6);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(3), nowMs: clock.nowMs });
  const open: PickableBackend[] = [];
  const counts = new Map<string, number>();
  for (let i = 0; i < 5_000; i += 1) {
    // Up to two random calls end before each pick; the pool hovers around a dozen in flight.
    for (let ends = 0; ends < 2 && open.length > 10; ends += 1) {
      const [ending] = open.splice(Math.floor(random() * open.length), 1);
      ending?.load.callEnded(10, clock.nowMs());
    }
    const fewest = Math.min(...backends.map((backend) => backend.load.inFlightExact));
    const result = picker.pick(pickRequest());
    if (result.kind !== 'backend') throw new Error(result.reason);
    assert.is(result.backend.load.inFlightExact, fewest, `pick ${i}`);
    result.backend.load.recordAssignment();
    result.backend.load.callStarted();
    open.push(result.backend);
    counts.set(result.backend.address, (counts.get(result.backend.address) ?? 0) + 1);
  }
  for (const [address, count] of counts) assert.ok(count > 700 && count < 970, `${address}: ${count} of 5000`);
});

test('ties are broken at random: over seeds, every tied backend is chosen', () => {
  const backends = makeBackends(5);
  startCalls(backends[2], 1); // 7003 is not tied
  const chosen = new Map<string, number>();
  for (let seed = 1; seed <= 400; seed += 1) {
    const picker = leastConnections.createPicker(backends, { random: seededRandom(seed), nowMs: () => 0 });
    const address = pickedAddress(picker.pick(pickRequest()));
    chosen.set(address, (chosen.get(address) ?? 0) + 1);
  }
  assert.equal([...chosen.keys()].sort(), ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7004', '127.0.0.1:7005']);
  for (const [address, count] of chosen) assert.ok(count >= 70 && count <= 130, `${address} chosen ${count} of 400 times`);
});

test('look-aside mode: reads the score, so a burst of 400 over 4 backends gives exactly 100 each', () => {
  const backends = makeBackends(4);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(7), nowMs: () => 0 });
  const counts = new Map<string, number>();
  for (let i = 0; i < 400; i += 1) {
    const result = picker.pick(pickRequest());
    if (result.kind !== 'backend') throw new Error(result.reason);
    result.backend.load.recordAssignment(); // as the LB does
    counts.set(result.backend.address, (counts.get(result.backend.address) ?? 0) + 1);
  }
  assert.equal([...counts.values()], [100, 100, 100, 100]);
});

test('skips excluded backends even when they have the fewest in flight', () => {
  const backends = makeBackends(3);
  startCalls(backends[1], 1);
  startCalls(backends[2], 2);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001']))), '127.0.0.1:7002');
});

test('the picker only reads: no assignment or call recorded by it; onDone is the shared no-op', () => {
  const backends = makeBackends(3);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
  const results = Array.from({ length: 10 }, () => picker.pick(pickRequest()));
  assert.equal(
    backends.map((backend) => [backend.load.assignedTotal, backend.load.inFlightExact]),
    [
      [0, 0],
      [0, 0],
      [0, 0],
    ],
  );
  assert.ok(results.every((result) => result.kind === 'backend' && result.onDone === IGNORE_OUTCOME));
});

test('reads the injected clock once per pick', () => {
  let reads = 0;
  const picker = leastConnections.createPicker(makeBackends(4), { random: seededRandom(1), nowMs: () => ++reads });
  picker.pick(pickRequest());
  picker.pick(pickRequest());
  assert.is(reads, 2);
});

test('unavailable with a reason when all are excluded or none exist', () => {
  const backends = makeBackends(3);
  const deps = { random: seededRandom(1), nowMs: () => 0 };
  assert.equal(leastConnections.createPicker(backends, deps).pick(pickRequest(backends.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 3 healthy backends excluded by the client',
  });
  assert.equal(leastConnections.createPicker([], deps).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test('names: lc / least_connections', () => {
  assert.is(leastConnections.name, 'least_connections');
  assert.is(leastConnections.shortName, 'lc');
});

test.run();
