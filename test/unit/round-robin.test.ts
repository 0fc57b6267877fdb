// round_robin: every backend in turn from a random start, skipping excluded ones.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IGNORE_OUTCOME } from '../../src/core/policies/policy.js';
import { roundRobin } from '../../src/core/policies/round-robin.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { scriptedRandom, seededRandom } from '../helpers/seeded-random.js';

const nowMs = fakeClock().nowMs;

function countPicks(addresses: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const address of addresses) counts.set(address, (counts.get(address) ?? 0) + 1);
  return counts;
}

const test = suite('round_robin');

test('starts at the index the random draw gives, then goes in order and wraps', () => {
  const backends = makeBackends(4);
  const picker = roundRobin.createPicker(backends, { random: scriptedRandom(0.5), nowMs });
  const picks = Array.from({ length: 6 }, () => pickedAddress(picker.pick(pickRequest())));
  assert.equal(picks, ['127.0.0.1:7003', '127.0.0.1:7004', '127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003', '127.0.0.1:7004']);
});

test('starts at the seeded index for many seeds, and the start varies with the seed', () => {
  const backends = makeBackends(5);
  const starts = new Set<string>();
  for (let seed = 1; seed <= 50; seed += 1) {
    const expectedIndex = Math.floor(seededRandom(seed)() * backends.length);
    const picker = roundRobin.createPicker(backends, { random: seededRandom(seed), nowMs });
    const first = pickedAddress(picker.pick(pickRequest()));
    assert.is(first, backends[expectedIndex]?.address, `seed ${seed}`);
    starts.add(first);
  }
  assert.is(starts.size, backends.length, 'every backend is the start for some seed');
});

test('a random() of 1 still lands on the last backend', () => {
  const picker = roundRobin.createPicker(makeBackends(3), { random: () => 1, nowMs });
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7003');
});

test('visits every backend equally over k·n picks', () => {
  const n = 7;
  const k = 30;
  const picker = roundRobin.createPicker(makeBackends(n), { random: seededRandom(42), nowMs });
  const counts = countPicks(Array.from({ length: k * n }, () => pickedAddress(picker.pick(pickRequest()))));
  assert.is(counts.size, n);
  for (const [address, count] of counts) assert.is(count, k, address);
});

test('skips excluded backends and shares evenly among the rest', () => {
  const picker = roundRobin.createPicker(makeBackends(4), { random: scriptedRandom(0), nowMs });
  const exclude = ['127.0.0.1:7002'];
  const picks = Array.from({ length: 9 }, () => pickedAddress(picker.pick(pickRequest(exclude))));
  assert.equal(picks, [
    '127.0.0.1:7001',
    '127.0.0.1:7003',
    '127.0.0.1:7004',
    '127.0.0.1:7001',
    '127.0.0.1:7003',
    '127.0.0.1:7004',
    '127.0.0.1:7001',
    '127.0.0.1:7003',
    '127.0.0.1:7004',
  ]);
});

test('after skipping, the turn continues past the backend chosen', () => {
  const picker = roundRobin.createPicker(makeBackends(3), { random: scriptedRandom(0), nowMs });
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001']))), '127.0.0.1:7002');
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7003');
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
});

test('unavailable with a reason when all are excluded or none exist', () => {
  const backends = makeBackends(2);
  const picker = roundRobin.createPicker(backends, { random: seededRandom(3), nowMs });
  assert.equal(picker.pick(pickRequest(backends.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 2 healthy backends excluded by the client',
  });
  assert.equal(roundRobin.createPicker([], { random: seededRandom(3), nowMs }).pick(pickRequest()), {
    kind: 'unavailable',
    reason: 'no healthy backend',
  });
});

test('draws randomness once, at build time; onDone is the shared no-op', () => {
  let draws = 0;
  const random = () => {
    draws += 1;
    return 0.1;
  };
  const picker = roundRobin.createPicker(makeBackends(3), { random, nowMs });
  const results = Array.from({ length: 5 }, () => picker.pick(pickRequest()));
  assert.is(draws, 1);
  assert.ok(results.every((result) => result.kind === 'backend' && result.onDone === IGNORE_OUTCOME));
});

test.run();
