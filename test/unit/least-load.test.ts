// least_load: the lowest BackendLoad score wins, ties at random; bursts must not herd.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { LoadSample } from '../../src/core/load/backend-load.js';
import { leastLoad } from '../../src/core/policies/least-load.js';
import type { Picker, PickableBackend } from '../../src/core/policies/policy.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const report = (inFlight: number): LoadSample => ({
  inFlight,
  queueDepth: 0,
  cpuPercent: 0,
  servedSimple: 0,
  servedHeavy: 0,
  recentLatencyMs: 0,
  rssBytes: 0,
});

/** Picks `count` times, recording each assignment as the LB does; returns picks per address. */
function pickAsTheLb(picker: Picker, backends: readonly PickableBackend[], count: number, exclude: string[] = []): Map<string, number> {
  const counts = new Map(backends.map((backend) => [backend.address, 0]));
  for (let i = 0; i < count; i += 1) {
    const result = picker.pick(pickRequest(exclude));
    if (result.kind !== 'backend') throw new Error(`pick ${i} unavailable: ${result.reason}`);
    result.backend.load.recordAssignment();
    counts.set(result.backend.address, (counts.get(result.backend.address) ?? 0) + 1);
  }
  return counts;
}

const test = suite('least_load');

test('a burst of 400 over 4 equal backends without reports gives exactly 100 each', () => {
  const backends = makeBackends(4);
  const picker = leastLoad.createPicker(backends, { random: seededRandom(7), nowMs: fakeClock().nowMs });
  const counts = pickAsTheLb(picker, backends, 400);
  assert.equal([...counts.values()], [100, 100, 100, 100]);
});

test('a backend reporting 10 in flight gets nothing until the others catch up', () => {
  const clock = fakeClock(1_000);
  const backends = makeBackends(4);
  const [busy, ...idle] = backends;
  busy?.load.recordReport(report(10), clock.nowMs());
  for (const backend of idle) backend.load.recordReport(report(0), clock.nowMs());
  const picker = leastLoad.createPicker(backends, { random: seededRandom(11), nowMs: clock.nowMs });

  const firstWave = pickAsTheLb(picker, backends, 30);
  assert.is(firstWave.get('127.0.0.1:7001'), 0, 'the busy backend waits');
  for (const backend of idle) assert.is(firstWave.get(backend.address), 10, backend.address);

  const secondWave = pickAsTheLb(picker, backends, 4);
  assert.equal([...secondWave.values()], [1, 1, 1, 1], 'level again: one each');
});

test('a stale report is ignored: the busy backend is picked again after staleAfterMs', () => {
  const clock = fakeClock(0);
  const backends = makeBackends(2, { staleAfterMs: 1_000 });
  backends[0]?.load.recordReport(report(50), clock.nowMs());
  const picker = leastLoad.createPicker(backends, { random: seededRandom(5), nowMs: clock.nowMs });

  assert.equal([...pickAsTheLb(picker, backends, 10).values()], [0, 10]);
  clock.advance(1_001);
  // 7001 now scores 0 (report dropped), 7002 scores 10: the next 10 go to 7001.
  assert.equal([...pickAsTheLb(picker, backends, 10).values()], [10, 0]);
});

test('a backend that stopped reporting is gradually avoided by its assignments', () => {
  const clock = fakeClock(0);
  const backends = makeBackends(2, { staleAfterMs: 1_000 });
  const [silent, reporting] = backends;
  const picker = leastLoad.createPicker(backends, { random: seededRandom(9), nowMs: clock.nowMs });
  let picksOfSilent = 0;
  for (let round = 0; round < 20; round += 1) {
    clock.advance(500);
    // Only 7002 reports, and its requests finish between reports; 7001 went quiet.
    reporting?.load.recordReport(report(0), clock.nowMs());
    const counts = pickAsTheLb(picker, backends, 4);
    picksOfSilent += counts.get(silent?.address ?? '') ?? 0;
  }
  assert.ok(silent !== undefined && silent.load.score(clock.nowMs()) === picksOfSilent);
  assert.ok(picksOfSilent <= 4, `the silent backend got ${picksOfSilent} of 80 picks`);
});

test('ties are broken at random: over seeds, every tied backend is chosen', () => {
  const backends = makeBackends(5);
  backends[4]?.load.recordAssignment(); // 7005 is not tied
  const chosen = new Map<string, number>();
  for (let seed = 1; seed <= 200; seed += 1) {
    const picker = leastLoad.createPicker(backends, { random: seededRandom(seed), nowMs: () => 0 });
    const address = pickedAddress(picker.pick(pickRequest()));
    chosen.set(address, (chosen.get(address) ?? 0) + 1);
  }
  assert.equal([...chosen.keys()].sort(), ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004']);
  for (const [address, count] of chosen) assert.ok(count >= 25, `${address} chosen ${count} of 200 times`);
});

test('skips excluded backends even when they are least loaded', () => {
  const backends = makeBackends(3);
  backends[1]?.load.recordAssignment();
  backends[2]?.load.recordAssignment();
  backends[2]?.load.recordAssignment();
  const picker = leastLoad.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001']))), '127.0.0.1:7002');
});

test('the picker reads loads but never records an assignment itself', () => {
  const backends = makeBackends(3);
  const picker = leastLoad.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
  for (let i = 0; i < 10; i += 1) picker.pick(pickRequest());
  assert.equal(
    backends.map((backend) => backend.load.assignedTotal),
    [0, 0, 0],
  );
});

test('reads the injected clock once per pick', () => {
  let reads = 0;
  const picker = leastLoad.createPicker(makeBackends(4), { random: seededRandom(1), nowMs: () => ++reads });
  picker.pick(pickRequest());
  picker.pick(pickRequest());
  assert.is(reads, 2);
});

test('unavailable with a reason when all are excluded or none exist', () => {
  const backends = makeBackends(3);
  const deps = { random: seededRandom(1), nowMs: () => 0 };
  assert.equal(leastLoad.createPicker(backends, deps).pick(pickRequest(backends.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 3 healthy backends excluded by the client',
  });
  assert.equal(leastLoad.createPicker([], deps).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test.run();
