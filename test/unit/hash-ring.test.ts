// hash-ring: spread, minimal movement, order independence, linear probing, and the course formulas' skew.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { coursePlacement, HashRing, murmur3Placement, type RingMember, type RingPlacement } from '../../src/core/hash/hash-ring.js';
import { murmur3 } from '../../src/core/hash/murmur3.js';
import { isLbxError } from '../../src/core/lbx-error.js';
import { shuffleInPlace } from '../../src/core/random/seeded-random.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** Backends as `lbx up` names them: backend-<port> at 127.0.0.1:<port>. */
const members = (ports: readonly number[]): RingMember[] => ports.map((port) => ({ address: `127.0.0.1:${port}`, id: `backend-${port}` }));
const portsFrom = (first: number, count: number): number[] => Array.from({ length: count }, (_, index) => first + index);
const address = (port: number): string => `127.0.0.1:${port}`;

const KEYS = Array.from({ length: 10_000 }, (_, index) => `key-${index}`);

function keysPerOwner(ring: HashRing<RingMember>, keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) {
    const owner = ring.ownerOf(key)?.address ?? 'none';
    counts[owner] = (counts[owner] ?? 0) + 1;
  }
  return counts;
}

/** Keys whose owner differs between the rings, as "from → to" with the key's slot. */
function moves(before: HashRing<RingMember>, after: HashRing<RingMember>, keys: readonly string[]) {
  return keys.flatMap((key) => {
    const from = before.ownerOf(key)?.address;
    const to = after.ownerOf(key)?.address;
    return from === to ? [] : [{ key, slot: before.slotOf(key), from, to }];
  });
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

const test = suite('hash-ring');

// Golden figures for the cluster `lbx up --backends 4` starts (ports 7001–7004), 512 × 9, murmur3.
// Why 1.35 is the bound: with 9 nodes per backend placed at random, a backend's share is
// Dirichlet(9, 9, 9, 9), whose max/mean has median 1.33 and 95th percentile 1.70 (simulated);
// the next test checks this ring follows that law. This cluster measures 1.29, a typical draw.
test('murmur3 spread: 4 backends, 512 × 9, 10,000 keys: max/mean 1.29 (≤ 1.35), keys follow the ring shares', () => {
  const ring = new HashRing(members(portsFrom(7001, 4)));
  const counts = keysPerOwner(ring, KEYS);
  assert.equal(counts, { [address(7001)]: 3229, [address(7002)]: 2518, [address(7003)]: 3006, [address(7004)]: 1247 });
  const maxOverMean = Math.max(...Object.values(counts)) / (KEYS.length / 4);
  assert.ok(maxOverMean <= 1.35, `max/mean ${maxOverMean}`);
  // Keys spread evenly over slots, so each backend's count is binomial around its share of the slots.
  const description = ring.describe();
  assert.is(description.maxOverMean, 1.265625);
  for (const member of description.members) {
    const expected = member.share * KEYS.length;
    const sigma = Math.sqrt(KEYS.length * member.share * (1 - member.share));
    assert.ok(Math.abs((counts[member.address] ?? 0) - expected) <= 4 * sigma, `${member.address}: ${counts[member.address]} keys for share ${member.share}`);
  }
});

test('over 200 clusters the ring spreads like random placement: median max/mean ≈ 1.33, a 5th backend takes ≈ 1/5', () => {
  const maxOverMeans: number[] = [];
  const newShares: number[] = [];
  for (let basePort = 1_000; basePort < 21_000; basePort += 100) {
    maxOverMeans.push(new HashRing(members(portsFrom(basePort + 1, 4))).describe().maxOverMean);
    newShares.push(new HashRing(members(portsFrom(basePort + 1, 5))).describe().members[4]?.share ?? NaN);
  }
  // Theory (Dirichlet(9,…)): median max/mean 1.33; the new backend's share is Beta(9, 36), mean 0.20, sd 0.059.
  const medianMaxOverMean = median(maxOverMeans);
  assert.ok(medianMaxOverMean >= 1.25 && medianMaxOverMean <= 1.42, `median max/mean ${medianMaxOverMean}`);
  const meanNewShare = newShares.reduce((sum, share) => sum + share, 0) / newShares.length;
  assert.ok(meanNewShare >= 0.18 && meanNewShare <= 0.22, `mean share of a 5th backend ${meanNewShare}`);
});

// With 9 nodes the 5th backend's share is Beta(9, 36): 15–25% only 60% of the time. For ports
// 7001–7005 it is 30.6% (measured), so that is the golden figure, not a 15–25% range.
test('adding a 5th backend moves keys only to it: 3,059 of 10,000 (30.6%), exactly the keys it now owns', () => {
  const before = new HashRing(members(portsFrom(7001, 4)));
  const after = new HashRing(members(portsFrom(7001, 5)));
  const moved = moves(before, after, KEYS);
  assert.is(moved.length, 3_059);
  assert.equal(
    moved.filter((move) => move.to !== address(7005)),
    [],
  );
  assert.is(keysPerOwner(after, KEYS)[address(7005)], moved.length);
});

test('adding a backend that sorts first moves keys only to it too (no collision involves it here)', () => {
  const before = new HashRing(members(portsFrom(7001, 4)));
  const after = new HashRing(members([7000, ...portsFrom(7001, 4)]));
  const moved = moves(before, after, KEYS);
  assert.is(moved.length, 2_205);
  assert.equal(
    moved.filter((move) => move.to !== address(7000)),
    [],
  );
});

test('removing a backend no node was pushed by moves only its keys', () => {
  const before = new HashRing(members(portsFrom(7001, 4)));
  const counts = keysPerOwner(before, KEYS);
  for (const removed of [7003, 7004]) {
    const after = new HashRing(members(portsFrom(7001, 4).filter((port) => port !== removed)));
    const moved = moves(before, after, KEYS);
    assert.is(moved.length, counts[address(removed)], `removing ${removed}`);
    assert.equal(
      moved.filter((move) => move.from !== address(removed)),
      [],
      `removing ${removed}`,
    );
  }
});

// Three nodes (of 7001, 7002, 7003) want slot 509 here, so 7002's and 7003's were pushed to 510
// and 511. Removing 7001 lets them slide back, and the keys of slots 510–511 change hands
// between survivors: the one cost of linear probing (see hash-ring.ts). It stays inside the probed span.
test('removing a backend moves all its keys, and others only inside a linear-probing span', () => {
  const before = new HashRing(members(portsFrom(7001, 4)));
  const spans = before.describe().members.flatMap((member) => member.displaced);
  assert.equal(
    spans.filter((span) => span.preferredSlot === 509).map((span) => span.slot),
    [510, 511],
  );
  const counts = keysPerOwner(before, KEYS);
  for (const removed of [7001, 7002]) {
    const after = new HashRing(members(portsFrom(7001, 4).filter((port) => port !== removed)));
    const moved = moves(before, after, KEYS);
    const others = moved.filter((move) => move.from !== address(removed));
    assert.is(moved.length - others.length, counts[address(removed)], `all keys of ${removed} move`);
    for (const move of others) {
      const inSpan = spans.some((span) => span.preferredSlot <= move.slot && move.slot <= span.slot);
      assert.ok(inSpan, `${move.key} (slot ${move.slot}) moved ${move.from} → ${move.to} outside any probing span`);
    }
    assert.ok(others.length <= 0.005 * KEYS.length, `removing ${removed} moved ${others.length} keys between other backends`);
  }
});

test('the ring does not depend on the order backends are given in', () => {
  const ordered = members([7001, 7002, 7003, 7004, 7005, 7006, 7007, 10001]);
  const random = seededRandom(17);
  for (const placement of [murmur3Placement, coursePlacement]) {
    const reference = new HashRing(ordered, { placement });
    const expectedOwners = KEYS.map((key) => reference.ownerOf(key)?.address);
    for (let round = 0; round < 10; round += 1) {
      const shuffled = new HashRing(shuffleInPlace([...ordered], random), { placement });
      assert.equal(shuffled.describe(), reference.describe(), `${placement.name} round ${round}`);
      assert.equal(
        KEYS.map((key) => shuffled.ownerOf(key)?.address),
        expectedOwners,
        `${placement.name} round ${round}`,
      );
    }
  }
});

// Places virtual nodes where a table says and key "slot-N" at N, so probing can be watched slot by slot.
function tablePlacement(nodeSlots: Record<string, number>): RingPlacement {
  return {
    name: 'table',
    nodeSlot: (member, _index, replica) => nodeSlots[`${member.id}#${replica}`] ?? NaN,
    keySlot: (key) => Number(key.slice('slot-'.length)),
  };
}

test('linear probing: a node whose slot is taken takes the next free one, wrapping past the end', () => {
  const a = { address: '127.0.0.1:7001', id: 'a' };
  const b = { address: '127.0.0.1:7002', id: 'b' };
  const placement = tablePlacement({ 'a#0': 5, 'a#1': 15, 'b#0': 5, 'b#1': 15 });
  // a sorts first, so it keeps 5 and 15 whatever order the members come in.
  for (const given of [
    [a, b],
    [b, a],
  ]) {
    const ring = new HashRing(given, { slots: 16, virtualNodes: 2, placement });
    const [first, second] = ring.describe().members;
    assert.equal(first?.heldSlots, [5, 15]);
    assert.equal(first?.displaced, []);
    assert.equal(second?.heldSlots, [0, 6]);
    assert.equal(second?.displaced, [
      { replica: 0, preferredSlot: 5, slot: 6 },
      { replica: 1, preferredSlot: 15, slot: 0 },
    ]);
    // Slots 1–5 go to a at 5, 6 to b, 7–15 to a at 15, and 0 to b.
    assert.equal([first?.ownedSlots, second?.ownedSlots], [14, 2]);
    const owners = Array.from({ length: 16 }, (_, slot) => ring.ownerOf(`slot-${slot}`)?.id).join('');
    assert.is(owners, 'baaaaabaaaaaaaaa');
    assert.equal(
      ring.ownersInOrderFrom('slot-6').map((member) => member.id),
      ['b', 'a'],
    );
    assert.equal(
      ring.ownersInOrderFrom('slot-7').map((member) => member.id),
      ['a', 'b'],
    );
  }
});

test('probing fills a run: nine nodes wanting one slot take nine consecutive slots', () => {
  const placement: RingPlacement = { name: 'one-slot', nodeSlot: () => 510, keySlot: () => 0 };
  const ring = new HashRing(members([7001]), { slots: 512, virtualNodes: 9, placement });
  assert.equal(ring.describe().members[0]?.heldSlots, [0, 1, 2, 3, 4, 5, 6, 510, 511]);
  assert.is(ring.describe().members[0]?.displaced.length, 8);
});

test('ownersInOrderFrom lists every backend once, the owner first', () => {
  const ring = new HashRing(members(portsFrom(7001, 5)));
  for (const key of KEYS.slice(0, 1_000)) {
    const owners = ring.ownersInOrderFrom(key).map((member) => member.address);
    assert.is(owners[0], ring.ownerOf(key)?.address, key);
    assert.is(new Set(owners).size, 5, key);
  }
});

// The source course's formulas: H(i) = i + 2i² + 17, Φ(i, j) = i + j + 2j² + 25 (mod 512), i the
// backend's index. All 27 nodes sit in slots 25–163, so backend 0, whose node at 25 opens the
// run, owns slots 164–511 and 0–25 as well: 96.5% of the key space (DESIGN.md: "96% with the
// course's own formulas"; the source's own variant measured 84%). Golden figures below.
test('the course formulas send 96% of keys to one of 3 backends', () => {
  const ring = new HashRing(members(portsFrom(7001, 3)), { placement: coursePlacement });
  const description = ring.describe();
  assert.equal(
    description.members.map((member) => member.heldSlots),
    [
      [25, 28, 35, 46, 61, 80, 103, 130, 161],
      [26, 29, 36, 47, 62, 81, 104, 131, 162],
      [27, 30, 37, 48, 63, 82, 105, 132, 163],
    ],
  );
  assert.equal(
    description.members.map((member) => member.ownedSlots),
    [494, 9, 9],
  );
  assert.is(description.maxOverMean, (494 / 512) * 3);
  const requestIds = Array.from({ length: 10_000 }, (_, index) => `${index + 1}`);
  const counts = keysPerOwner(ring, requestIds);
  assert.equal(counts, { [address(7001)]: 9649, [address(7002)]: 177, [address(7003)]: 174 });
  assert.ok((counts[address(7001)] ?? 0) / requestIds.length >= 0.8);
});

test('course key slots: the trailing integer as i (exact for huge ids), murmur3 when there is none', () => {
  const slots = 512;
  const polynomial = (i: bigint): number => Number((i + 2n * i * i + 17n) % BigInt(slots));
  assert.is(coursePlacement.keySlot('42', slots), polynomial(42n));
  assert.is(coursePlacement.keySlot('user-42', slots), polynomial(42n));
  assert.is(coursePlacement.keySlot('user-007', slots), polynomial(7n));
  const huge = '123456789012345678901234567890';
  assert.is(coursePlacement.keySlot(`order-${huge}`, slots), polynomial(BigInt(huge)));
  assert.is(coursePlacement.keySlot('user', slots), polynomial(BigInt(murmur3('user'))));
  assert.is(coursePlacement.keySlot('', slots), polynomial(BigInt(murmur3(''))));
});

test('murmur3 placement: node j of backend X at murmur3("X#j") mod slots, a key at murmur3(key) mod slots', () => {
  const member = { address: '127.0.0.1:7001', id: 'backend-7001' };
  assert.is(murmur3Placement.nodeSlot(member, 0, 3, 512), murmur3('backend-7001#3') % 512);
  assert.is(murmur3Placement.keySlot('user-42', 1000), murmur3('user-42') % 1000);
  // The separator keeps ids that end in digits apart: "a1" node 0 and "a" node 10 hash different strings.
  assert.is.not(murmur3Placement.nodeSlot({ address: 'x:1', id: 'a1' }, 0, 0, 65_536), murmur3Placement.nodeSlot({ address: 'x:2', id: 'a' }, 0, 10, 65_536));
});

test('more virtual nodes than slots is a usage error naming the numbers', () => {
  try {
    new HashRing(members(portsFrom(7001, 3)), { slots: 16, virtualNodes: 9 });
    assert.unreachable('expected a usage error');
  } catch (error) {
    assert.ok(isLbxError(error) && error.code === 'usage', String(error));
    assert.match((error as Error).message, 'a ring of 16 slots cannot hold 3 backends × 9 virtual nodes (27)');
  }
  assert.is(new HashRing(members(portsFrom(7001, 3)), { slots: 27, virtualNodes: 9 }).describe().members.length, 3);
});

test('an empty ring owns nothing', () => {
  const ring = new HashRing<RingMember>([]);
  assert.is(ring.ownerOf('key-1'), undefined);
  assert.equal(ring.ownersInOrderFrom('key-1'), []);
  assert.is(
    ring.findOwner('key-1', () => true),
    undefined,
  );
  assert.is(ring.describe().maxOverMean, 0);
});

test.run();
