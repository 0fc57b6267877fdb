// The LB's membership rules: RPC registration, exit notices, the registry's passing set, and assignment counting.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, type BalancerEvent } from '../../src/core/balancer.js';
import { leastLoad, pickFirst, roundRobin, weightedRoundRobin } from '../../src/core/policies/index.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { pickedAddress, pickRequest } from '../helpers/backends.js';
import { seededRandom } from '../helpers/seeded-random.js';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';

/** Wall clock for the membership history: a fixed epoch the tests advance with the monotonic one. */
const WALL_EPOCH_MS = 1_700_000_000_000;

const newBalancer = (events: BalancerEvent[] = [], clock = fakeClock()) =>
  new Balancer(roundRobin, { random: seededRandom(7), nowMs: clock.nowMs, wallMs: () => WALL_EPOCH_MS + clock.nowMs() }, (event) => events.push(event));

const pickMany = (balancer: Balancer, count: number, exclude: string[] = []): Map<string, number> => {
  const counts = new Map<string, number>();
  for (let index = 0; index < count; index += 1) {
    const address = pickedAddress(balancer.pick(pickRequest(exclude)));
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  return counts;
};

const test = suite('Balancer');

test('a registered backend is eligible at once; an exit notice removes it at once', () => {
  const balancer = newBalancer();
  balancer.register('backend-7001', A);
  balancer.register('backend-7002', B);
  assert.equal([...pickMany(balancer, 10).keys()].sort(), [A, B]);
  assert.ok(balancer.deregister(B, 'exited (signal SIGKILL)'));
  assert.equal([...pickMany(balancer, 10).keys()], [A]);
  const removed = balancer.stats().backends.find((backend) => backend.address === B);
  assert.equal(removed?.state, 'removed');
  assert.equal(removed?.removedReason, 'exited (signal SIGKILL)');
});

test('deregistering twice, or an unknown backend, reports false and changes nothing', () => {
  const balancer = newBalancer();
  balancer.register('backend-7001', A);
  assert.ok(balancer.deregister(A, 'graceful'));
  assert.not.ok(balancer.deregister(A, 'graceful'));
  assert.not.ok(balancer.deregister(C, 'graceful'));
});

test('no eligible backend gives unavailable with a reason, counted in stats', () => {
  const balancer = newBalancer();
  const result = balancer.pick(pickRequest());
  assert.equal(result.kind, 'unavailable');
  assert.equal(balancer.stats().unavailable, 1);
  assert.equal(balancer.stats().picks, 0);
});

test('the registry adds unknown passing instances, and removes members it listed before and no longer does', () => {
  const events: BalancerEvent[] = [];
  const balancer = newBalancer(events);
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A },
    { id: 'backend-7002', address: B },
  ]);
  assert.equal([...pickMany(balancer, 10).keys()].sort(), [A, B]);
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  assert.equal([...pickMany(balancer, 10).keys()], [A]);
  assert.ok(events.some((event) => event.type === 'removed' && event.address === B && event.reason.startsWith('registry')));
  // Passing again: the registry may undo its own removal.
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A },
    { id: 'backend-7002', address: B },
  ]);
  assert.equal([...pickMany(balancer, 10).keys()].sort(), [A, B]);
});

test('an exit notice that arrives after the registry removed the backend gives the exit as the reason, and keeps it out', () => {
  const balancer = newBalancer();
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A },
    { id: 'backend-7002', address: B },
  ]);
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  assert.not.ok(balancer.deregister(B, 'exited (signal SIGKILL)'), 'already removed');
  assert.is(balancer.stats().backends.find((backend) => backend.address === B)?.removedReason, 'exited (signal SIGKILL)');
  // A lagging registry listing it again does not bring an exited backend back.
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A },
    { id: 'backend-7002', address: B },
  ]);
  assert.equal([...pickMany(balancer, 10).keys()], [A]);
});

test('a backend registered by RPC but not yet passing in the registry stays eligible (checks start critical)', () => {
  const balancer = newBalancer();
  balancer.register('backend-7001', A);
  balancer.register('backend-7002', B);
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  assert.equal([...pickMany(balancer, 10).keys()].sort(), [A, B]);
});

test('a lagging registry that still lists an exited backend does not bring it back; its own RegisterServer does', () => {
  const balancer = newBalancer();
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A },
    { id: 'backend-7002', address: B },
  ]);
  balancer.deregister(B, 'exited (signal SIGKILL)');
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A },
    { id: 'backend-7002', address: B },
  ]);
  assert.equal([...pickMany(balancer, 20).keys()], [A]);
  balancer.register('backend-7002', B);
  assert.equal([...pickMany(balancer, 20).keys()].sort(), [A, B]);
});

test('re-registering with another weight keeps what the registry said: a later absence still removes it', () => {
  const balancer = newBalancer();
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  balancer.register('backend-7001', A, { weight: 2, speed: 1 });
  assert.equal(balancer.stats().backends[0]?.weight, 2);
  balancer.applyRegistrySnapshot([]);
  assert.equal(balancer.stats().backends[0]?.state, 'removed');
  assert.equal(balancer.pick(pickRequest()).kind, 'unavailable');
});

test("load reports from unknown backends are refused (so they register again); a removed member's are kept but do not revive it", () => {
  const balancer = newBalancer();
  const sample = { inFlight: 1, queueDepth: 0, cpuPercent: 5, servedSimple: 1, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 1 };
  assert.not.ok(balancer.recordReport(A, sample));
  balancer.register('backend-7001', A);
  assert.ok(balancer.recordReport(A, sample));
  balancer.deregister(A, 'graceful');
  assert.ok(balancer.recordReport(A, { ...sample, servedSimple: 9 }));
  const removed = balancer.stats().backends[0];
  assert.equal([removed?.state, removed?.lastReport?.servedSimple], ['removed', 9]);
  assert.equal(balancer.pick(pickRequest()).kind, 'unavailable');
});

test('a report at the address of a member removed for exiting comes from a new process: it is told to register again', () => {
  const balancer = newBalancer();
  const sample = { inFlight: 0, queueDepth: 0, cpuPercent: 0, servedSimple: 1, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 1 };
  balancer.register('backend-7001', A);
  balancer.deregister(A, 'exited (signal SIGKILL)');
  assert.not.ok(balancer.recordReport(A, sample));
  balancer.register('backend-7001', A);
  assert.ok(balancer.recordReport(A, sample));
  assert.equal(balancer.stats().backends[0]?.state, 'serving');
});

test('every successful pick counts as an assignment on the chosen backend', () => {
  const balancer = newBalancer();
  balancer.register('backend-7001', A);
  balancer.register('backend-7002', B);
  pickMany(balancer, 30);
  const stats = balancer.stats();
  assert.equal(stats.picks, 30);
  assert.equal(
    stats.backends.reduce((sum, backend) => sum + backend.assigned, 0),
    30,
  );
  assert.equal(
    stats.backends.map((backend) => backend.assigned),
    [15, 15],
  );
});

test('excluded addresses are skipped for that pick only', () => {
  const balancer = newBalancer();
  balancer.register('backend-7001', A);
  balancer.register('backend-7002', B);
  assert.equal([...pickMany(balancer, 10, [A]).keys()], [B]);
  assert.equal([...pickMany(balancer, 10).keys()].sort(), [A, B]);
});

test('switching policy rebuilds the picker over the same members', () => {
  const balancer = newBalancer();
  for (const [id, address] of [
    ['backend-7003', C],
    ['backend-7001', A],
    ['backend-7002', B],
  ] as const)
    balancer.register(id, address);
  balancer.setPolicy(pickFirst);
  assert.equal(balancer.policyName, 'pick_first');
  // Pick-first's stable order is by port, whatever the registration order.
  assert.equal([...pickMany(balancer, 5).keys()], [A]);
});

test('least load through the balancer spreads a burst evenly (assignments are recorded between picks)', () => {
  const balancer = new Balancer(leastLoad, { random: seededRandom(3), nowMs: fakeClock().nowMs, wallMs: () => WALL_EPOCH_MS });
  balancer.register('backend-7001', A);
  balancer.register('backend-7002', B);
  balancer.register('backend-7003', C);
  const counts = pickMany(balancer, 300);
  assert.equal([counts.get(A), counts.get(B), counts.get(C)], [100, 100, 100]);
});

test('a new LB rebuilds weights from the registry alone; a registry that changes them is followed, garbage is not', () => {
  const balancer = newBalancer();
  balancer.setPolicy(weightedRoundRobin);
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A, traits: { weight: 3, speed: 0.5 } },
    { id: 'backend-7002', address: B },
  ]);
  const traitsOf = () => balancer.stats().backends.map((backend) => [backend.address, backend.weight, backend.speed]);
  assert.equal(traitsOf(), [
    [A, 3, 0.5],
    [B, 1, 1],
  ]);
  let counts = pickMany(balancer, 40);
  assert.equal([counts.get(A), counts.get(B)], [30, 10]);

  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A, traits: { weight: 1, speed: 1 } },
    { id: 'backend-7002', address: B, traits: { weight: Number.NaN, speed: 1 } },
  ]);
  assert.equal(traitsOf(), [
    [A, 1, 1],
    [B, 1, 1],
  ]);
  counts = pickMany(balancer, 40);
  assert.equal([counts.get(A), counts.get(B)], [20, 20]);

  // A new member with traits that make no sense joins with the defaults.
  balancer.applyRegistrySnapshot([
    { id: 'backend-7001', address: A, traits: { weight: 1, speed: 1 } },
    { id: 'backend-7002', address: B },
    { id: 'backend-7003', address: C, traits: { weight: 0, speed: -1 } },
  ]);
  assert.equal(traitsOf()[2], [C, 1, 1]);
});

test('an absent traits field leaves a registered weight alone', () => {
  const balancer = newBalancer();
  balancer.register('backend-7001', A, { weight: 4, speed: 2 });
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  assert.equal([balancer.stats().backends[0]?.weight, balancer.stats().backends[0]?.speed], [4, 2]);
});

test('stats keep the membership history on the wall clock: joined, left, last assigned', () => {
  const clock = fakeClock();
  const balancer = newBalancer([], clock);
  const history = () => {
    const backend = balancer.stats().backends.find((candidate) => candidate.address === A);
    return [backend?.joinedAtUnixMs, backend?.leftAtUnixMs, backend?.lastAssignedAtUnixMs];
  };
  balancer.register('backend-7001', A);
  assert.equal(history(), [WALL_EPOCH_MS, 0, 0]);
  clock.advance(100);
  pickMany(balancer, 1);
  assert.equal(history(), [WALL_EPOCH_MS, 0, WALL_EPOCH_MS + 100]);
  clock.advance(50);
  balancer.deregister(A, 'exited (code 1)');
  assert.equal(history(), [WALL_EPOCH_MS, WALL_EPOCH_MS + 150, WALL_EPOCH_MS + 100]);
  clock.advance(50);
  balancer.register('backend-7001', A);
  assert.equal(history(), [WALL_EPOCH_MS + 200, 0, WALL_EPOCH_MS + 100]);
  // The registry's removal and re-admission are dated the same way.
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  clock.advance(25);
  balancer.applyRegistrySnapshot([]);
  assert.equal(history(), [WALL_EPOCH_MS + 200, WALL_EPOCH_MS + 225, WALL_EPOCH_MS + 100]);
  clock.advance(25);
  balancer.applyRegistrySnapshot([{ id: 'backend-7001', address: A }]);
  assert.equal(history(), [WALL_EPOCH_MS + 250, 0, WALL_EPOCH_MS + 100]);
});

test.run();
