// consistent_hash: picks the key's ring owner, skips excluded backends, keeps bounded loads, validates its settings.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLbxError } from '../../src/core/lbx-error.js';
import { buildRing, consistentHash, describeRing, keyMovement } from '../../src/core/policies/consistent-hash.js';
import { IGNORE_OUTCOME, type PickableBackend, type PickerDeps, type PickRequest, type PolicyConfig } from '../../src/core/policies/policy.js';
import { makeBackends, pickedAddress } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';

// Consistent hashing draws no randomness; a draw would be a bug.
const deps = (nowMs = fakeClock().nowMs): PickerDeps => ({
  random: () => {
    throw new Error('consistent_hash drew a random number');
  },
  nowMs,
});

const keyed = (key: string, exclude: Iterable<string> = []): PickRequest => ({ taskKind: 'SIMPLE', key, exclude: new Set(exclude) });

const KEYS = Array.from({ length: 10_000 }, (_, index) => `key-${index}`);

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isLbxError(error) && error.code === 'usage') return error.message;
    throw error;
  }
  throw new Error('expected a usage error');
}

const test = suite('consistent_hash');

test('names: consistent_hash / ch', () => {
  assert.is(consistentHash.name, 'consistent_hash');
  assert.is(consistentHash.shortName, 'ch');
});

test("picks the key's owner on the ring the settings describe; onDone is the shared no-op", () => {
  const backends = makeBackends(4);
  for (const config of [{}, { ringSlots: 4096, virtualNodes: 40 }, { ringHash: 'course' }] satisfies PolicyConfig[]) {
    const picker = consistentHash.createPicker(backends, deps(), config);
    const ring = buildRing(backends, config);
    for (const key of KEYS.slice(0, 2_000)) {
      const result = picker.pick(keyed(key));
      assert.is(pickedAddress(result), ring.ownerOf(key)?.address, `${JSON.stringify(config)} ${key}`);
      assert.ok(result.kind === 'backend' && result.onDone === IGNORE_OUTCOME);
    }
  }
});

test('the same key always goes to the same backend, and the keys reach every backend', () => {
  const picker = consistentHash.createPicker(makeBackends(4), deps());
  const first = KEYS.map((key) => pickedAddress(picker.pick(keyed(key))));
  assert.equal(
    KEYS.map((key) => pickedAddress(picker.pick(keyed(key)))),
    first,
  );
  assert.is(new Set(first).size, 4);
});

// Without keys every request hashes "" and lands on one backend: expected, hence `lbx send --keys N`.
test('the empty key is a key like any other: every key-less request goes to one backend', () => {
  const picker = consistentHash.createPicker(makeBackends(4), deps());
  const picks = new Set(Array.from({ length: 100 }, () => pickedAddress(picker.pick(keyed('')))));
  assert.is(picks.size, 1);
});

test('picks only from the backends it was given', () => {
  const all = makeBackends(6);
  const given = [all[1], all[3], all[4]].filter((backend): backend is PickableBackend => backend !== undefined);
  const allowed = new Set(given.map((backend) => backend.address));
  for (const config of [{}, { hashBalance: 1.25 }]) {
    const picker = consistentHash.createPicker(given, deps(), config);
    for (const key of KEYS.slice(0, 2_000)) assert.ok(allowed.has(pickedAddress(picker.pick(keyed(key)))), key);
  }
});

test('an excluded owner hands the key to the next distinct backend clockwise', () => {
  const backends = makeBackends(4);
  const ring = buildRing(backends);
  const picker = consistentHash.createPicker(backends, deps());
  for (const key of KEYS.slice(0, 1_000)) {
    const order = ring.ownersInOrderFrom(key).map((backend) => backend.address);
    assert.is(pickedAddress(picker.pick(keyed(key, order.slice(0, 1)))), order[1], key);
    assert.is(pickedAddress(picker.pick(keyed(key, order.slice(0, 3)))), order[3], key);
  }
});

test('unavailable with a reason when every backend is excluded or there is none', () => {
  const backends = makeBackends(4);
  const everyone = backends.map((backend) => backend.address);
  for (const config of [{}, { hashBalance: 1.5 }]) {
    assert.equal(consistentHash.createPicker(backends, deps(), config).pick(keyed('key-1', everyone)), {
      kind: 'unavailable',
      reason: 'all 4 healthy backends excluded by the client',
    });
    assert.equal(consistentHash.createPicker([], deps(), config).pick(keyed('key-1')), { kind: 'unavailable', reason: 'no healthy backend' });
  }
});

// The LB records every assignment; with no report, a backend's score is the assignments so far.
function runAssignments(config: PolicyConfig, onPick: (picks: number, assigned: number[]) => void): number[] {
  const backends = makeBackends(4);
  const picker = consistentHash.createPicker(backends, deps(), config);
  for (let picks = 1; picks <= 10_000; picks += 1) {
    const result = picker.pick(keyed(`key-${(picks - 1) % 1_000}`));
    if (result.kind !== 'backend') throw new Error(`pick ${picks}: ${result.reason}`);
    result.backend.load.recordAssignment();
    onPick(
      picks,
      backends.map((backend) => backend.load.assignedTotal),
    );
  }
  return backends.map((backend) => backend.load.assignedTotal);
}

test('bounded loads 1.25: no backend ever holds more than ceil(1.25 × average); unbounded goes higher', () => {
  const bounded = runAssignments({ hashBalance: 1.25 }, (picks, assigned) => {
    const bound = Math.ceil((1.25 * picks) / 4);
    assert.ok(Math.max(...assigned) <= bound, `after ${picks} picks: ${assigned.join(', ')} (bound ${bound})`);
  });
  assert.equal(bounded, [2808, 3113, 2305, 1774]); // max/mean 1.245
  const unbounded = runAssignments({}, () => undefined);
  assert.equal(unbounded, [2740, 3400, 2280, 1580]); // max/mean 1.36: the ring's own imbalance over these keys
  assert.ok(Math.max(...unbounded) > Math.ceil(1.25 * 2_500));
});

test('bounded loads keep affinity while there is room, and spill a full owner clockwise', () => {
  const clock = fakeClock(1_000);
  const backends = makeBackends(4);
  const ring = buildRing(backends);
  const picker = consistentHash.createPicker(backends, deps(clock.nowMs), { hashBalance: 1.25 });
  for (const key of KEYS.slice(0, 200)) assert.is(pickedAddress(picker.pick(keyed(key))), ring.ownerOf(key)?.address, key);

  // A fresh report of 10 in flight on the owner: capacity is ceil(1.25 × 11 / 4) = 4, so it is full.
  const key = 'user-42';
  const [owner, next] = ring.ownersInOrderFrom(key);
  owner?.load.recordReport({ inFlight: 10, queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 }, clock.nowMs());
  assert.is(pickedAddress(picker.pick(keyed(key))), next?.address);
  // Once the report is stale its figure no longer counts, and the key goes home.
  clock.advance((owner?.load.staleAfterMs ?? 0) + 1);
  assert.is(pickedAddress(picker.pick(keyed(key))), owner?.address);
});

test('bounded loads count only the backends a request may use, so one always has room', () => {
  const backends = makeBackends(3);
  for (const backend of backends) for (let count = 0; count < 5; count += 1) backend.load.recordAssignment();
  const picker = consistentHash.createPicker(backends, deps(), { hashBalance: 1 });
  // Two excluded, the third holds 5 of 5 in flight: capacity ceil(1 × 6 / 1) = 6 > 5, so it is picked.
  const last = backends[2]?.address;
  assert.is(
    pickedAddress(
      picker.pick(
        keyed(
          'key-1',
          backends.slice(0, 2).map((backend) => backend.address),
        ),
      ),
    ),
    last,
  );
});

test('settings out of range are usage errors naming the value', () => {
  const backends = makeBackends(2);
  const create = (config: PolicyConfig) => () => consistentHash.createPicker(backends, deps(), config);
  assert.match(usageError(create({ ringSlots: 0 })), 'ring slots (--ring-slots) must be an integer from 1 to 65536, got 0');
  assert.match(usageError(create({ ringSlots: 65_537 })), 'got 65537');
  assert.match(usageError(create({ ringSlots: 51.2 })), 'got 51.2');
  assert.match(usageError(create({ virtualNodes: 0 })), 'virtual nodes per backend (--vnodes) must be an integer from 1 to 1000, got 0');
  assert.match(usageError(create({ virtualNodes: 1_001 })), 'got 1001');
  assert.match(usageError(create({ hashBalance: 0.99 })), 'hash balance (--hash-balance) must be a finite number ≥ 1');
  assert.match(usageError(create({ hashBalance: 0.99 })), 'got 0.99');
  assert.match(usageError(create({ hashBalance: Number.NaN })), 'got NaN');
  assert.match(usageError(create({ hashBalance: Number.POSITIVE_INFINITY })), 'got Infinity');
  assert.match(usageError(create({ ringHash: 'md5' as PolicyConfig['ringHash'] })), 'unknown ring hash "md5"');
  assert.match(usageError(create({ ringSlots: 10, virtualNodes: 9 })), 'a ring of 10 slots cannot hold 2 backends × 9 virtual nodes (18)');
  // The limits themselves are fine.
  consistentHash.createPicker(backends, deps(), { ringSlots: 65_536, virtualNodes: 1_000, hashBalance: 1 });
});

test('describeRing: the default ring is 512 × 9 murmur3; course shows its skew', () => {
  const members = makeBackends(3).map(({ address, id }) => ({ address, id }));
  const murmur = describeRing(members, {});
  assert.equal([murmur.placement, murmur.slots, murmur.virtualNodes], ['murmur3', 512, 9]);
  assert.equal(
    murmur.members.map((member) => member.heldSlots.length),
    [9, 9, 9],
  );
  assert.is(
    murmur.members.reduce((sum, member) => sum + member.ownedSlots, 0),
    512,
  );
  const course = describeRing(members, { ringHash: 'course' });
  assert.equal(
    course.members.map((member) => member.ownedSlots),
    [494, 9, 9],
  );
});

test('keyMovement: adding a backend moves keys only to it; removing one moves only its keys', () => {
  const five = makeBackends(5);
  const four = five.slice(0, 4);
  const newcomer = five[4]?.address;
  const added = keyMovement(KEYS, buildRing(four), buildRing(five));
  assert.is(added.keys, 10_000);
  assert.ok(added.moved > 0 && added.flows.every((flow) => flow.to === newcomer), JSON.stringify(added.flows));
  assert.is(
    added.flows.reduce((sum, flow) => sum + flow.keys, 0),
    added.moved,
  );
  assert.is(added.fraction, added.moved / 10_000);
  assert.equal(
    added.flows.map((flow) => flow.keys),
    [...added.flows.map((flow) => flow.keys)].sort((a, b) => b - a),
  );

  const removed = keyMovement(KEYS, buildRing(five), buildRing(four));
  assert.is(removed.moved, added.moved);
  assert.ok(removed.flows.every((flow) => flow.from === newcomer));

  const fromEmpty = keyMovement(KEYS.slice(0, 10), buildRing([]), buildRing(four));
  assert.equal([fromEmpty.moved, fromEmpty.flows.every((flow) => flow.from === null)], [10, true]);
  assert.equal(keyMovement([], buildRing(four), buildRing(five)), { keys: 0, moved: 0, fraction: 0, flows: [] });
});

test.run();
