// A registry outage: its first snapshots after a restart may add and re-admit members, but remove none until the grace has passed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, REGISTRY_RESYNC_GRACE_MS, type RegistryInstance } from '../../src/core/balancer.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const C = '127.0.0.1:7003';
const instance = (address: string): RegistryInstance => ({ id: `backend-${address.slice(-4)}`, address });

/** A balancer whose registry has listed A and B. */
function listedAB(): { balancer: Balancer; clock: FakeClock } {
  const clock = fakeClock(50_000);
  const balancer = new Balancer(roundRobin, { random: seededRandom(3), nowMs: clock.nowMs, wallMs: clock.nowMs });
  balancer.applyRegistrySnapshot([instance(A), instance(B)]);
  return { balancer, clock };
}

const servingNow = (balancer: Balancer): string[] =>
  balancer
    .stats()
    .backends.filter((backend) => backend.state === 'serving')
    .map((backend) => backend.address);

const picked = (balancer: Balancer, count: number): string[] => {
  const seen = new Set<string>();
  for (let index = 0; index < count; index += 1) seen.add(pickedAddress(balancer.pick(pickRequest())));
  return [...seen].sort();
};

const test = suite('registry resync grace');

test('the grace is five seconds', () => {
  assert.is(REGISTRY_RESYNC_GRACE_MS, 5_000);
});

test('after an outage, an empty or partial snapshot removes nobody until the grace has passed; then the normal rule applies', () => {
  const { balancer, clock } = listedAB();
  balancer.registryOutage();
  clock.advance(3_000); // the registry is down: no snapshot
  balancer.applyRegistrySnapshot([]); // restarted, empty: the grace starts here
  assert.equal(picked(balancer, 10), [A, B]);
  clock.advance(1_000);
  balancer.applyRegistrySnapshot([instance(A)]); // A has re-registered, B has not
  clock.advance(REGISTRY_RESYNC_GRACE_MS - 1_001);
  balancer.applyRegistrySnapshot([instance(A)]);
  assert.equal(servingNow(balancer), [A, B]);
  clock.advance(1);
  balancer.applyRegistrySnapshot([instance(A)]);
  assert.equal(servingNow(balancer), [A]);
  assert.equal(picked(balancer, 10), [A]);
});

test('a member still absent when the grace runs out is removed without waiting for another snapshot', () => {
  const { balancer, clock } = listedAB();
  balancer.registryOutage();
  balancer.applyRegistrySnapshot([instance(A)]);
  clock.advance(REGISTRY_RESYNC_GRACE_MS - 1);
  assert.equal(picked(balancer, 10), [A, B]);
  clock.advance(1);
  assert.equal(picked(balancer, 10), [A]);
  assert.is(balancer.stats().backends.find((backend) => backend.address === B)?.removedReason, 'registry: no longer passing');
});

test('a member that re-registers during the grace stays, and a later absence still removes it', () => {
  const { balancer, clock } = listedAB();
  balancer.registryOutage();
  balancer.applyRegistrySnapshot([]);
  clock.advance(500);
  balancer.applyRegistrySnapshot([instance(A), instance(B)]);
  clock.advance(REGISTRY_RESYNC_GRACE_MS);
  assert.equal(picked(balancer, 10), [A, B]);
  balancer.applyRegistrySnapshot([instance(A)]);
  assert.equal(servingNow(balancer), [A]);
});

test('during the grace, snapshots still add new members and re-admit ones the registry removed before', () => {
  const { balancer } = listedAB();
  balancer.applyRegistrySnapshot([instance(A)]); // B fails its check: removed at once, no outage yet
  assert.equal(servingNow(balancer), [A]);
  balancer.registryOutage();
  balancer.applyRegistrySnapshot([instance(B), instance(C)]);
  assert.equal(servingNow(balancer), [A, B, C]);
});

test('another outage during the grace starts it over, from the next snapshot', () => {
  const { balancer, clock } = listedAB();
  balancer.registryOutage();
  balancer.applyRegistrySnapshot([instance(A)]);
  clock.advance(3_000);
  balancer.registryOutage();
  clock.advance(3_000); // past the first grace, but the registry failed again
  assert.equal(picked(balancer, 10), [A, B]);
  balancer.applyRegistrySnapshot([instance(A)]);
  clock.advance(REGISTRY_RESYNC_GRACE_MS - 1);
  assert.equal(picked(balancer, 10), [A, B]);
  clock.advance(1);
  assert.equal(picked(balancer, 10), [A]);
});

test('an exit notice still removes a backend at once during the grace', () => {
  const { balancer } = listedAB();
  balancer.registryOutage();
  balancer.applyRegistrySnapshot([]);
  assert.ok(balancer.deregister(B, 'exited (signal SIGKILL)'));
  assert.equal(picked(balancer, 10), [A]);
});

test('without an outage the registry removes at once, as before', () => {
  const { balancer } = listedAB();
  balancer.applyRegistrySnapshot([instance(A)]);
  assert.equal(servingNow(balancer), [A]);
});

test.run();
