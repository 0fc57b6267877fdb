// Outlier ejection through the Balancer: which failures count, how long an ejection lasts, the 50% cap, and that ejected backends are never picked.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, type BalancerEvent } from '../../src/core/balancer.js';
import { ejectionMs, judgeOutcome, MAX_EJECTION_MS } from '../../src/core/health/outlier-ejection.js';
import { POLICIES, roundRobin } from '../../src/core/policies/index.js';
import { pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const OK = 0;
const CANCELLED = 1;
const UNKNOWN = 2;
const INVALID_ARGUMENT = 3;
const DEADLINE_EXCEEDED = 4;
const RESOURCE_EXHAUSTED = 8;
const INTERNAL = 13;
const UNAVAILABLE = 14;
const DATA_LOSS = 15;

const addresses = (count: number): string[] => Array.from({ length: count }, (_, index) => `127.0.0.1:${7001 + index}`);
const [A = '', B = ''] = addresses(2);

interface Lab {
  readonly balancer: Balancer;
  readonly clock: FakeClock;
  readonly events: BalancerEvent[];
}

function lab(backendCount: number, policy = roundRobin, seed = 7): Lab {
  const clock = fakeClock(10_000);
  const events: BalancerEvent[] = [];
  const balancer = new Balancer(policy, { random: seededRandom(seed), nowMs: clock.nowMs, wallMs: () => 1_700_000_000_000 + clock.nowMs() }, (event) => events.push(event));
  addresses(backendCount).forEach((address, index) => balancer.register(`backend-${index + 1}`, address));
  return { balancer, clock, events };
}

const fail = (balancer: Balancer, address: string, times: number, code = UNAVAILABLE): void => {
  for (let index = 0; index < times; index += 1) balancer.recordOutcome(address, false, code);
};

/** Addresses picked over `count` picks. */
const picked = (balancer: Balancer, count: number): Set<string> => {
  const seen = new Set<string>();
  for (let index = 0; index < count; index += 1) seen.add(pickedAddress(balancer.pick(pickRequest())));
  return seen;
};

const ejectedNow = (balancer: Balancer): string[] =>
  balancer
    .stats()
    .backends.filter((backend) => backend.ejected)
    .map((backend) => backend.address);
const ofType = <T extends BalancerEvent['type']>(events: BalancerEvent[], type: T) => events.filter((event): event is Extract<BalancerEvent, { type: T }> => event.type === type);

const test = suite('outlier ejection');

test('which outcomes count: the four broken-backend codes and failures with no usable code; ok always wins', () => {
  const table: [boolean, number, string][] = [
    [true, OK, 'success'],
    [true, UNAVAILABLE, 'success'],
    [false, UNAVAILABLE, 'failure'],
    [false, UNKNOWN, 'failure'],
    [false, INTERNAL, 'failure'],
    [false, DATA_LOSS, 'failure'],
    // Whatever listens there does not serve lbx.v1.Backend: as broken as a backend gets.
    [false, 12, 'failure'],
    [false, DEADLINE_EXCEEDED, 'neutral'],
    [false, CANCELLED, 'neutral'],
    [false, RESOURCE_EXHAUSTED, 'neutral'],
    [false, INVALID_ARGUMENT, 'neutral'],
    [false, 16, 'neutral'],
    [false, OK, 'failure'],
    [false, 17, 'failure'],
    [false, 4_000_000_000, 'failure'],
    [false, 2.5, 'failure'],
  ];
  for (const [ok, code, verdict] of table) assert.is(judgeOutcome(ok, code), verdict, `ok=${ok} code=${code}`);
});

test('three failures in a row eject a backend: it is not picked, stats and an event say so', () => {
  const { balancer, events } = lab(4);
  fail(balancer, A, 2);
  assert.equal(ejectedNow(balancer), []);
  fail(balancer, A, 1);
  assert.equal(ejectedNow(balancer), [A]);
  assert.equal(ofType(events, 'ejected'), [{ type: 'ejected', address: A, consecutiveFailures: 3, forMs: 1_000, evidence: 'own-calls' }]);
  assert.not.ok(picked(balancer, 40).has(A));
  const stats = balancer.stats().backends.find((backend) => backend.address === A);
  assert.equal([stats?.state, stats?.ejected, stats?.ejections, stats?.failuresReported], ['serving', true, 1, 3]);
});

test('a success between failures resets the count', () => {
  const { balancer, events } = lab(4);
  fail(balancer, A, 2);
  balancer.recordOutcome(A, true, OK);
  fail(balancer, A, 2);
  assert.equal(ofType(events, 'ejected'), []);
  assert.ok(picked(balancer, 8).has(A));
  assert.is(balancer.stats().backends[0]?.failuresReported, 4);
});

test('deadline, cancellation, overload and bad requests neither count nor reset the count', () => {
  for (const code of [DEADLINE_EXCEEDED, CANCELLED, RESOURCE_EXHAUSTED, INVALID_ARGUMENT]) {
    const { balancer } = lab(4);
    fail(balancer, A, 2);
    fail(balancer, A, 10, code);
    assert.equal(ejectedNow(balancer), [], `code ${code} counted`);
    fail(balancer, A, 1);
    assert.equal(ejectedNow(balancer), [A], `code ${code} reset the count`);
    assert.is(balancer.stats().backends[0]?.failuresReported, 13, 'every failure is tallied in stats');
  }
});

test('an ejection ends by itself after 1 s, the second after 2 s; no timer, the next pick notices', () => {
  const { balancer, clock, events } = lab(4);
  fail(balancer, A, 3);
  clock.advance(999);
  assert.not.ok(picked(balancer, 8).has(A));
  clock.advance(1);
  assert.ok(picked(balancer, 8).has(A));
  assert.equal(ofType(events, 'returned'), [{ type: 'returned', address: A }]);
  assert.equal(ejectedNow(balancer), []);

  // Back with a fresh count: three more failures eject it for twice as long.
  fail(balancer, A, 2);
  assert.equal(ejectedNow(balancer), []);
  fail(balancer, A, 1);
  assert.is(ofType(events, 'ejected')[1]?.forMs, 2_000);
  clock.advance(1_999);
  assert.not.ok(picked(balancer, 8).has(A));
  clock.advance(1);
  assert.ok(picked(balancer, 8).has(A));
  assert.is(balancer.stats().backends[0]?.ejections, 2);
});

test('ejection length grows by the base per ejection up to 30 s', () => {
  assert.equal([1, 2, 5, 30, 31, 1_000].map(ejectionMs), [1_000, 2_000, 5_000, 30_000, MAX_EJECTION_MS, MAX_EJECTION_MS]);
});

test('never more than half the serving backends are ejected, however many fail', () => {
  for (const [count, allowed] of [
    [1, 0],
    [2, 1],
    [3, 1],
    [4, 2],
    [5, 2],
  ] as const) {
    const { balancer, events } = lab(count);
    for (const address of addresses(count)) fail(balancer, address, 5);
    assert.is(ejectedNow(balancer).length, allowed, `${count} backends`);
    assert.is(ofType(events, 'ejected').length, allowed);
    assert.is(picked(balancer, 20).size, count - allowed);
  }
});

test('a refused ejection is made once another backend returns and the failures go on', () => {
  const { balancer, clock } = lab(2);
  fail(balancer, A, 3);
  fail(balancer, B, 3);
  assert.equal(ejectedNow(balancer), [A]);
  clock.advance(1_000);
  fail(balancer, B, 1);
  assert.equal(ejectedNow(balancer), [B]);
});

test('when backends leave, ejections beyond half of those left end early, the soonest due first', () => {
  const { balancer, clock, events } = lab(4);
  const [first = '', second = '', third = '', fourth = ''] = addresses(4);
  fail(balancer, first, 3);
  clock.advance(100);
  fail(balancer, second, 3);
  balancer.deregister(fourth, 'exited (signal SIGKILL)');
  assert.equal(ejectedNow(balancer), [second]);
  assert.equal(ofType(events, 'returned'), [{ type: 'returned', address: first }]);
  assert.equal([...picked(balancer, 10)].sort(), [first, third]);
});

test('a removed backend is no longer ejected; when it rejoins it is eligible with a fresh count', () => {
  const { balancer } = lab(4);
  fail(balancer, A, 3);
  balancer.deregister(A, 'exited (code 1)');
  assert.equal(ejectedNow(balancer), []);
  balancer.register('backend-1', A);
  assert.ok(picked(balancer, 8).has(A));
  fail(balancer, A, 2);
  assert.equal(ejectedNow(balancer), []);
});

test('outcomes for unknown addresses are ignored', () => {
  const { balancer, events } = lab(2);
  fail(balancer, '127.0.0.1:9999', 10);
  assert.is(events.filter((event) => event.type === 'ejected').length, 0);
  assert.is(balancer.stats().backends.length, 2);
});

test('every policy: an ejected backend is never picked while ejected, and comes back after', () => {
  for (const policy of POLICIES) {
    const { balancer, clock, events } = lab(6, policy, 99);
    const random = seededRandom(5);
    const broken = new Set(addresses(6).slice(0, 3));
    const ejected = new Set<string>();
    let seenEvents = 0;
    let pickedAfterReturn = 0;
    const returned = new Set<string>();
    for (let round = 0; round < 3_000; round += 1) {
      const result = balancer.pick({ taskKind: 'SIMPLE', key: `key-${Math.floor(random() * 50)}`, exclude: new Set() });
      // Events up to and including this pick's own (it may notice an ejection has ended).
      for (const event of events.slice(seenEvents)) {
        if (event.type === 'ejected') ejected.add(event.address);
        if (event.type === 'returned') {
          ejected.delete(event.address);
          returned.add(event.address);
        }
      }
      seenEvents = events.length;
      const address = pickedAddress(result);
      assert.not.ok(ejected.has(address), `${policy.name} picked ${address} while it was ejected (round ${round})`);
      if (returned.has(address)) pickedAfterReturn += 1;
      const failed = broken.has(address) && random() < 0.9;
      balancer.recordOutcome(address, !failed, failed ? UNAVAILABLE : OK);
      if (result.kind === 'backend') result.onDone({ ok: !failed, latencyMs: 5 });
      clock.advance(Math.floor(random() * 20));
    }
    assert.ok(ofType(events, 'ejected').length > 0, `${policy.name}: nothing was ever ejected`);
    assert.ok(ejected.size <= 3, `${policy.name}: more than half ejected`);
    // pick_first and consistent hashing may never send traffic back to a returned backend; the others must.
    if (!['pick_first', 'consistent_hash'].includes(policy.name)) assert.ok(pickedAfterReturn > 0, `${policy.name}: a returned backend was never picked`);
  }
});

test.run();
