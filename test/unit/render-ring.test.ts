// lbx ring's analysis and text: golden output for tiny hypothetical rings, movement verdicts, usage errors.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { renderMovement, renderRing } from '../../src/cli/render-ring.js';
import { analyzeRing, MAX_FLOWS_SHOWN, ringKeys, type RingInput, type RingMovement } from '../../src/core/hash/ring-analysis.js';
import type { RingMember } from '../../src/core/hash/hash-ring.js';
import { isLbxError } from '../../src/core/lbx-error.js';
import { buildRing } from '../../src/core/policies/consistent-hash.js';
import type { PolicyConfig } from '../../src/core/policies/policy.js';

/** Backends as `lbx up` names them: backend-<port> at 127.0.0.1:<port>. */
const member = (port: number): RingMember => ({ address: `127.0.0.1:${port}`, id: `backend-${port}` });
const THREE = [7001, 7002, 7003].map(member);
const HYPOTHETICAL = { kind: 'hypothetical', host: '127.0.0.1', basePort: 7000 } as const;
// 17 slots × 2 nodes, murmur3: 7002's node 0 wants slot 9, which 7001 holds, so probing puts it in 10.
const TINY = { ringSlots: 17, virtualNodes: 2 };

const tiny = (change?: RingInput['change'], members: readonly RingMember[] = THREE, config: PolicyConfig = TINY) =>
  analyzeRing({ source: HYPOTHETICAL, members, config, keyCount: 20, ...(change === undefined ? {} : { change }) });

function usageError(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (isLbxError(error) && error.code === 'usage') return error.message;
    throw error;
  }
  throw new Error('expected a usage error');
}

const test = suite('render-ring');

test('golden: 3 backends, 17 slots × 2, 20 keys, adding one: the tables, the flows, only to the new backend', () => {
  assert.fixture(
    renderRing(tiny({ kind: 'add', members: [member(7004)] })),
    `hypothetical cluster: 3 backends on 127.0.0.1:7001–7003

BACKEND         VNODES  DISPLACED  SHARE  KEYS
127.0.0.1:7001       2          0  29.4%     6
127.0.0.1:7002       2          1  11.8%     3
127.0.0.1:7003       2          0  58.8%    11
17 slots, 6 virtual nodes (2 per backend), hash murmur3; max/mean 1.76 of key space, 1.65 of 20 keys

after adding 1 backend (127.0.0.1:7004):
BACKEND         VNODES  DISPLACED  SHARE  KEYS
127.0.0.1:7001       2          0  23.5%     5
127.0.0.1:7002       2          1  11.8%     3
127.0.0.1:7003       2          0  41.2%     7
127.0.0.1:7004       2          0  23.5%     5
17 slots, 8 virtual nodes (2 per backend), hash murmur3; max/mean 1.65 of key space, 1.40 of 20 keys

moved 5 of 20 keys (25.0%)
FROM            TO              KEYS
127.0.0.1:7003  127.0.0.1:7004     4
127.0.0.1:7001  127.0.0.1:7004     1
keys moved only to the new backend`,
  );
});

test('the data behind the table: held slots, displaced nodes, owned slots summing to the ring, keys as the ring owns them', () => {
  const { ring } = tiny();
  assert.equal(
    ring.backends.map((row) => [row.address, row.heldSlots, row.displaced, row.ownedSlots, row.keys]),
    [
      ['127.0.0.1:7001', [9, 11], 0, 5, 6],
      ['127.0.0.1:7002', [5, 10], 1, 2, 3],
      ['127.0.0.1:7003', [0, 4], 0, 10, 11],
    ],
  );
  assert.is(
    ring.backends.reduce((sum, row) => sum + row.ownedSlots, 0),
    17,
  );
  // KEYS counted independently of analyzeRing, from the ring the policy would build.
  const reference = buildRing(THREE, TINY);
  const expected = THREE.map((backend) => ringKeys(20).filter((key) => reference.ownerOf(key)?.address === backend.address).length);
  assert.equal(
    ring.backends.map((row) => row.keys),
    expected,
  );
  assert.equal([ring.maxOverMean, ring.keysMaxOverMean], [(10 / 17) * 3, (11 * 3) / 20]);
});

test('removing a backend no node was pushed by: only its keys move', () => {
  const { movement } = tiny({ kind: 'remove', port: 7002 });
  assert.ok(movement);
  assert.equal([movement.verdict, movement.movedBetweenRemaining, movement.shiftedNodes], ['minimal', 0, 0]);
  assert.fixture(
    renderMovement(movement, 'murmur3'),
    `moved 3 of 20 keys (15.0%)
FROM            TO              KEYS
127.0.0.1:7002  127.0.0.1:7001     3
only keys of the removed backend moved`,
  );
});

test('removing the backend that pushed a node: the node moves back, and its keys change hands between the others (said so)', () => {
  const result = tiny({ kind: 'remove', port: 7001 });
  const { movement } = result;
  assert.ok(movement);
  // 7002's displaced node returns from slot 10 to slot 9; slot 10's keys now wrap to 7003's node at 0.
  assert.equal(
    movement.after.backends.map((row) => [row.address, row.heldSlots, row.displaced]),
    [
      ['127.0.0.1:7002', [5, 9], 0],
      ['127.0.0.1:7003', [0, 4], 0],
    ],
  );
  assert.equal([movement.verdict, movement.movedBetweenRemaining, movement.shiftedNodes], ['between-remaining', 3, 1]);
  assert.fixture(
    renderMovement(movement, 'murmur3'),
    `moved 9 of 20 keys (45.0%)
FROM            TO              KEYS
127.0.0.1:7001  127.0.0.1:7002     5
127.0.0.1:7002  127.0.0.1:7003     3
127.0.0.1:7001  127.0.0.1:7003     1
3 keys also moved between remaining backends, 1 of whose virtual nodes changed slot (linear probing: the removal freed a slot, and a node that had been pushed past it moved back)`,
  );
});

test('golden: the course formulas on 4 backends, 16 slots × 2: one backend owns most keys, and removing the first shifts every node', () => {
  const result = tiny({ kind: 'remove', port: 7001 }, [7001, 7002, 7003, 7004].map(member), { ringSlots: 16, virtualNodes: 2, ringHash: 'course' });
  assert.fixture(
    renderRing(result),
    `hypothetical cluster: 4 backends on 127.0.0.1:7001–7004

BACKEND         VNODES  DISPLACED  SHARE  KEYS
127.0.0.1:7001       2          0  62.5%    13
127.0.0.1:7002       2          0  12.5%     2
127.0.0.1:7003       2          0  12.5%     3
127.0.0.1:7004       2          2  12.5%     2
16 slots, 8 virtual nodes (2 per backend), hash course; max/mean 2.50 of key space, 2.60 of 20 keys

after removing 127.0.0.1:7001:
BACKEND         VNODES  DISPLACED  SHARE  KEYS
127.0.0.1:7002       2          0  75.0%    15
127.0.0.1:7003       2          0  12.5%     2
127.0.0.1:7004       2          0  12.5%     3
16 slots, 6 virtual nodes (2 per backend), hash course; max/mean 2.25 of key space, 2.25 of 20 keys

moved 20 of 20 keys (100.0%)
FROM            TO              KEYS
127.0.0.1:7001  127.0.0.1:7002    13
127.0.0.1:7003  127.0.0.1:7004     3
127.0.0.1:7002  127.0.0.1:7003     2
127.0.0.1:7004  127.0.0.1:7002     2
7 keys also moved between remaining backends, 6 of whose virtual nodes changed slot (the course formulas place a backend's nodes by its position in port order, which the change shifted)`,
  );
});

const movementOf = (flows: RingMovement['flows'], change: RingMovement['change'] = { kind: 'add', backends: ['127.0.0.1:7004'] }): RingMovement => {
  const moved = flows.reduce((sum, flow) => sum + flow.keys, 0);
  const after = tiny().ring;
  return { change, after, keys: 1_000, moved, fraction: moved / 1_000, flows, verdict: moved === 0 ? 'none' : 'minimal', movedBetweenRemaining: 0, shiftedNodes: 0 };
};

test(`text lists at most ${MAX_FLOWS_SHOWN} flows and sums up the rest`, () => {
  const flows = Array.from({ length: MAX_FLOWS_SHOWN + 2 }, (_, index) => ({ from: `127.0.0.1:${7100 + index}`, to: '127.0.0.1:7004', keys: 50 - index }));
  const lines = renderMovement(movementOf(flows), 'murmur3').split('\n');
  const shown = lines.filter((line) => /^127\.0\.0\.1:71\d\d {2}127\.0\.0\.1:7004 +\d+$/.test(line));
  assert.is(shown.length, MAX_FLOWS_SHOWN);
  assert.is(shown.at(-1), '127.0.0.1:7109  127.0.0.1:7004    41');
  // The two left out hold 40 + 39 keys.
  assert.is(lines.at(-2), '… and 2 more flows (79 keys; --json lists them all)');
});

test('no key moved: said so, for an addition and for a removal; an empty ring shows (none)', () => {
  assert.is(renderMovement(movementOf([]), 'murmur3'), 'moved 0 of 1,000 keys (0.0%)\nno key of the set moved: the new backend owns none of them');
  assert.is(renderMovement(movementOf([], { kind: 'remove', backend: '127.0.0.1:7001' }), 'murmur3'), 'moved 0 of 1,000 keys (0.0%)\nno key of the set moved');
  const last = tiny({ kind: 'remove', port: 7001 }, [member(7001)]);
  assert.equal(last.movement?.flows, [{ from: '127.0.0.1:7001', to: null, keys: 20 }]);
  assert.match(renderRing(last), '127.0.0.1:7001  (none)    20\nonly keys of the removed backend moved');
  assert.match(renderRing(last), 'no backends: no key has an owner');
});

test('usage errors name the value: a port that is no backend, an exited one, a key count, a change the ring cannot hold', () => {
  assert.is(
    usageError(() => tiny({ kind: 'remove', port: 9999 })),
    '--remove 9999: no backend of the hypothetical cluster is on port 9999; backend ports: 7001, 7002, 7003',
  );
  const cluster = { kind: 'cluster', name: 'lab', policy: 'round_robin', exited: ['127.0.0.1:7003'] } as const;
  const members = THREE.slice(0, 2);
  assert.is(
    usageError(() => analyzeRing({ source: cluster, members, config: {}, keyCount: 10, change: { kind: 'remove', port: 7003 } })),
    '--remove 7003: backend 127.0.0.1:7003 has exited and is already off the ring',
  );
  assert.is(
    usageError(() => analyzeRing({ source: HYPOTHETICAL, members, config: {}, keyCount: 0 })),
    '--keys must be an integer from 1 to 1000000, got 0',
  );
  assert.is(
    usageError(() => tiny({ kind: 'add', members: [member(7004), member(7005), member(7006)] }, THREE, { ringSlots: 11, virtualNodes: 2 })),
    '--add 3: a ring of 11 slots cannot hold 6 backends × 2 virtual nodes (12)',
  );
  assert.is(
    usageError(() => tiny(undefined, THREE, { ringSlots: 5, virtualNodes: 2 })),
    'a ring of 5 slots cannot hold 3 backends × 2 virtual nodes (6)',
  );
});

test('a cluster: its name and policy in the header, exited backends named, bounded loads noted only under consistent_hash', () => {
  const source = { kind: 'cluster', name: 'lab', policy: 'round_robin', exited: ['127.0.0.1:7004'] } as const;
  const config = { ...TINY, hashBalance: 1.25 };
  const other = renderRing(analyzeRing({ source, members: THREE, config, keyCount: 20 }));
  assert.ok(other.startsWith('cluster "lab": 3 backends (policy round_robin; shown as consistent_hash would place them)\nleft out, exited: 127.0.0.1:7004\n\nBACKEND'), other);
  const hashed = renderRing(analyzeRing({ source: { ...source, policy: 'consistent_hash' }, members: THREE, config, keyCount: 20 }));
  assert.match(hashed, 'cluster "lab": 3 backends (policy consistent_hash)\nleft out, exited: 127.0.0.1:7004\nbounded loads (1.25)');
  assert.is(analyzeRing({ source, members: THREE, config, keyCount: 20 }).hashBalance, 1.25);
});

test.run();
