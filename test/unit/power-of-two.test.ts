// power_of_two: two distinct random candidates, the one with fewer in flight wins.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { BackendLoad } from '../../src/core/load/backend-load.js';
import { IGNORE_OUTCOME, type PickableBackend, type PickerDeps } from '../../src/core/policies/policy.js';
import { powerOfTwo } from '../../src/core/policies/power-of-two.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { scriptedRandom, seededRandom } from '../helpers/seeded-random.js';

/** A BackendLoad that logs which backend's in-flight figure a picker read: the candidates of a pick. */
class SpyLoad extends BackendLoad {
  constructor(
    private readonly address: string,
    private readonly reads: string[],
  ) {
    super();
  }

  override inFlight(nowMs: number): number {
    this.reads.push(this.address);
    return super.inFlight(nowMs);
  }
}

function spiedBackends(count: number, reads: string[]): PickableBackend[] {
  return makeBackends(count).map((backend) => ({ ...backend, load: new SpyLoad(backend.address, reads) }));
}

function startCalls(backend: PickableBackend | undefined, count: number): void {
  for (let i = 0; i < count; i += 1) backend?.load.callStarted();
}

const deps = (random: () => number): PickerDeps => ({ random, nowMs: fakeClock().nowMs });

const test = suite('power_of_two');

test('a random() that repeats the same value still yields two distinct candidates, every pick', () => {
  for (const value of [0, 0.25, 0.5, 0.999_999, 1]) {
    for (const count of [2, 3, 4, 7]) {
      const reads: string[] = [];
      const picker = powerOfTwo.createPicker(
        spiedBackends(count, reads),
        deps(() => value),
      );
      for (let i = 0; i < 20; i += 1) {
        reads.length = 0;
        picker.pick(pickRequest());
        assert.is(reads.length, 2, `random ${value}, ${count} backends`);
        assert.is.not(reads[0], reads[1], `random ${value}, ${count} backends: both candidates were ${reads[0]}`);
      }
    }
  }
});

test('a scripted draw: 0.5 then 0.5 over 4 backends gives candidates 7003, then 7002 (the second draw skips the first)', () => {
  const reads: string[] = [];
  const picker = powerOfTwo.createPicker(spiedBackends(4, reads), deps(scriptedRandom(0.5, 0.5)));
  picker.pick(pickRequest());
  assert.equal(reads, ['127.0.0.1:7003', '127.0.0.1:7002']);
});

test('12,000 seeded picks: never the same candidate twice, and every ordered pair about equally often', () => {
  const reads: string[] = [];
  const picker = powerOfTwo.createPicker(spiedBackends(4, reads), deps(seededRandom(17)));
  const pairs = new Map<string, number>();
  for (let i = 0; i < 12_000; i += 1) {
    reads.length = 0;
    picker.pick(pickRequest());
    assert.is(reads.length, 2);
    assert.is.not(reads[0], reads[1], `pick ${i}`);
    const pair = reads.join(' ');
    pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
  }
  assert.is(pairs.size, 12, 'all 4 × 3 ordered pairs');
  for (const [pair, count] of pairs) assert.ok(count > 900 && count < 1_100, `${pair}: ${count} of 12000 (1000 expected)`);
});

test('the less loaded candidate wins; on a tie, the first drawn', () => {
  const backends = makeBackends(4);
  startCalls(backends[2], 2); // 7003: 2 in flight, 7002: 0
  assert.is(pickedAddress(powerOfTwo.createPicker(backends, deps(scriptedRandom(0.5, 0.5))).pick(pickRequest())), '127.0.0.1:7002');
  startCalls(backends[1], 2); // tie at 2: the first drawn, 7003
  assert.is(pickedAddress(powerOfTwo.createPicker(backends, deps(scriptedRandom(0.5, 0.5))).pick(pickRequest())), '127.0.0.1:7003');
  startCalls(backends[1], 1); // 7002: 3
  assert.is(pickedAddress(powerOfTwo.createPicker(backends, deps(scriptedRandom(0.5, 0.5))).pick(pickRequest())), '127.0.0.1:7003');
});

test('prefers the less loaded: with 0, 1, 2, 3 in flight the shares are 1/2, 1/3, 1/6 and 0', () => {
  const backends = makeBackends(4);
  backends.forEach((backend, index) => startCalls(backend, index));
  const picker = powerOfTwo.createPicker(backends, deps(seededRandom(23)));
  const counts = new Map(backends.map((backend) => [backend.address, 0]));
  for (let i = 0; i < 12_000; i += 1) {
    const address = pickedAddress(picker.pick(pickRequest()));
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  const [idle, one, two, busiest] = [...counts.values()];
  assert.is(busiest, 0, 'the busiest loses every pair it is drawn in');
  assert.ok(Math.abs((idle ?? 0) - 6_000) < 300, `idle: ${idle}`);
  assert.ok(Math.abs((one ?? 0) - 4_000) < 300, `one: ${one}`);
  assert.ok(Math.abs((two ?? 0) - 2_000) < 300, `two: ${two}`);
});

test('look-aside mode: reads the score, so a burst spreads (no backend more than 10% above the mean)', () => {
  const backends = makeBackends(5);
  const picker = powerOfTwo.createPicker(backends, deps(seededRandom(31)));
  for (let i = 0; i < 1_000; i += 1) {
    const result = picker.pick(pickRequest());
    if (result.kind !== 'backend') throw new Error(result.reason);
    result.backend.load.recordAssignment(); // as the LB does
  }
  for (const backend of backends) assert.ok(Math.abs(backend.load.assignedTotal - 200) <= 20, `${backend.address}: ${backend.load.assignedTotal}`);
});

test('candidates come only from backends not excluded', () => {
  const reads: string[] = [];
  const backends = spiedBackends(6, reads);
  const exclude = ['127.0.0.1:7002', '127.0.0.1:7005'];
  const picker = powerOfTwo.createPicker(backends, deps(seededRandom(41)));
  for (let i = 0; i < 2_000; i += 1) {
    reads.length = 0;
    const address = pickedAddress(picker.pick(pickRequest(exclude)));
    assert.not.ok(exclude.includes(address));
    assert.is(reads.length, 2);
    assert.is.not(reads[0], reads[1]);
    assert.not.ok(
      reads.some((read) => exclude.includes(read)),
      reads.join(' '),
    );
  }
});

test('with one candidate left, takes it without drawing', () => {
  const noRandom = () => {
    throw new Error('no draw expected');
  };
  const backends = makeBackends(3);
  const picker = powerOfTwo.createPicker(backends, deps(noRandom));
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001', '127.0.0.1:7003']))), '127.0.0.1:7002');
  assert.is(pickedAddress(powerOfTwo.createPicker(makeBackends(1), deps(noRandom)).pick(pickRequest())), '127.0.0.1:7001');
});

test('exactly two draws and one clock read per pick; onDone is the shared no-op', () => {
  let draws = 0;
  let reads = 0;
  const random = seededRandom(3);
  const picker = powerOfTwo.createPicker(makeBackends(5), {
    random: () => {
      draws += 1;
      return random();
    },
    nowMs: () => ++reads,
  });
  const results = Array.from({ length: 10 }, () => picker.pick(pickRequest()));
  assert.is(draws, 20);
  assert.is(reads, 10);
  assert.ok(results.every((result) => result.kind === 'backend' && result.onDone === IGNORE_OUTCOME));
});

test('unavailable with a reason when all are excluded or none exist', () => {
  const backends = makeBackends(3);
  assert.equal(powerOfTwo.createPicker(backends, deps(seededRandom(1))).pick(pickRequest(backends.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 3 healthy backends excluded by the client',
  });
  assert.equal(powerOfTwo.createPicker([], deps(seededRandom(1))).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test('names: p2c / power_of_two', () => {
  assert.is(powerOfTwo.name, 'power_of_two');
  assert.is(powerOfTwo.shortName, 'p2c');
});

test.run();

const weighted = suite('power_of_two with weights');

weighted('a backend of a quarter the weight counts as four times as busy', () => {
  const [fast, slow] = makeBackends(2);
  if (!fast || !slow) throw new Error('two backends expected');
  const fastWeighted = { ...fast, weight: 4 };
  const slowWeighted = { ...slow, weight: 1 };
  for (let call = 0; call < 3; call += 1) fastWeighted.load.callStarted();
  slowWeighted.load.callStarted();
  // Costs: fast (3 + 1) / 4 = 1, slow (1 + 1) / 1 = 2 — the fast one wins though it has more in flight.
  const picker = powerOfTwo.createPicker([fastWeighted, slowWeighted], { random: seededRandom(5), nowMs: () => 0 });
  for (let pick = 0; pick < 20; pick += 1) assert.equal(pickedAddress(picker.pick(pickRequest())), fastWeighted.address);
});

weighted.run();
