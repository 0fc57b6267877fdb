// random: a uniformly random healthy backend, one draw per pick.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IGNORE_OUTCOME } from '../../src/core/policies/policy.js';
import { random } from '../../src/core/policies/random.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { scriptedRandom, seededRandom } from '../helpers/seeded-random.js';

const nowMs = fakeClock().nowMs;

function countPicks(count: number, pick: () => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i < count; i += 1) {
    const address = pick();
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  return counts;
}

const test = suite('random');

test('roughly uniform: over 10,000 picks each of 5 backends is within ±10% of the mean', () => {
  for (const seed of [1, 2, 3]) {
    const picker = random.createPicker(makeBackends(5), { random: seededRandom(seed), nowMs });
    const counts = countPicks(10_000, () => pickedAddress(picker.pick(pickRequest())));
    assert.is(counts.size, 5);
    for (const [address, count] of counts) assert.ok(Math.abs(count - 2_000) <= 200, `seed ${seed}, ${address}: ${count}`);
  }
});

test('the draw maps straight to an index: 0 → first, 0.5 → middle, 1 → last', () => {
  const backends = makeBackends(5);
  const picker = random.createPicker(backends, { random: scriptedRandom(0, 0.5, 0.999_999, 1), nowMs });
  const picks = Array.from({ length: 4 }, () => pickedAddress(picker.pick(pickRequest())));
  assert.equal(picks, ['127.0.0.1:7001', '127.0.0.1:7003', '127.0.0.1:7005', '127.0.0.1:7005']);
});

test('never an excluded backend; uniform over the rest', () => {
  const picker = random.createPicker(makeBackends(5), { random: seededRandom(9), nowMs });
  const exclude = ['127.0.0.1:7001', '127.0.0.1:7004'];
  const counts = countPicks(9_000, () => pickedAddress(picker.pick(pickRequest(exclude))));
  assert.equal([...counts.keys()].sort(), ['127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7005']);
  for (const [address, count] of counts) assert.ok(Math.abs(count - 3_000) <= 300, `${address}: ${count}`);
});

test('ignores load: a busy backend is picked as often as an idle one', () => {
  const backends = makeBackends(2);
  for (let i = 0; i < 100; i += 1) backends[0]?.load.callStarted();
  const picker = random.createPicker(backends, { random: seededRandom(5), nowMs });
  const counts = countPicks(4_000, () => pickedAddress(picker.pick(pickRequest())));
  assert.ok(Math.abs((counts.get('127.0.0.1:7001') ?? 0) - 2_000) <= 200, `${counts.get('127.0.0.1:7001')}`);
});

test('one draw per pick; onDone is the shared no-op', () => {
  let draws = 0;
  const source = seededRandom(3);
  const picker = random.createPicker(makeBackends(4), {
    random: () => {
      draws += 1;
      return source();
    },
    nowMs,
  });
  const results = Array.from({ length: 25 }, () => picker.pick(pickRequest()));
  assert.is(draws, 25);
  assert.ok(results.every((result) => result.kind === 'backend' && result.onDone === IGNORE_OUTCOME));
});

test('unavailable with a reason when all are excluded or none exist', () => {
  const backends = makeBackends(2);
  const deps = { random: seededRandom(1), nowMs };
  assert.equal(random.createPicker(backends, deps).pick(pickRequest(backends.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 2 healthy backends excluded by the client',
  });
  assert.equal(random.createPicker([], deps).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test('names: random / random', () => {
  assert.is(random.name, 'random');
  assert.is(random.shortName, 'random');
});

test.run();
