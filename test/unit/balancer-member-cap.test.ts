// The member cap: a flood of registrations or a hostile registry cannot grow the LB without bound; removed members are forgotten first.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer, MAX_MEMBERS, type BalancerEvent, type RegistryInstance } from '../../src/core/balancer.js';
import { roundRobin } from '../../src/core/policies/index.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

/** A distinct address per index: 10.0.x.y:7000. */
const addressOf = (index: number): string => `10.0.${Math.floor(index / 256)}.${index % 256}:7000`;

function fullBalancer(events: BalancerEvent[] = []): Balancer {
  const clock = fakeClock();
  const balancer = new Balancer(roundRobin, { random: seededRandom(11), nowMs: clock.nowMs, wallMs: clock.nowMs }, (event) => events.push(event));
  for (let index = 0; index < MAX_MEMBERS; index += 1) {
    assert.equal(balancer.register(`backend-${index}`, addressOf(index)), { kind: 'registered' });
  }
  return balancer;
}

const known = (balancer: Balancer): Set<string> => new Set(balancer.stats().backends.map((backend) => backend.address));

const test = suite('Balancer member cap');

test('the cap is 1,024 members', () => {
  assert.is(MAX_MEMBERS, 1_024);
});

test('with every member serving, one more registration is refused with a reason naming the limit', () => {
  const balancer = fullBalancer();
  const result = balancer.register('backend-extra', addressOf(MAX_MEMBERS));
  assert.is(result.kind, 'refused');
  assert.match(result.kind === 'refused' ? result.reason : '', '1024');
  assert.is(balancer.stats().backends.length, MAX_MEMBERS);
  assert.not.ok(known(balancer).has(addressOf(MAX_MEMBERS)));
});

test('a known address may still re-register when full, under its own id or another', () => {
  const balancer = fullBalancer();
  assert.equal(balancer.register('backend-0', addressOf(0), { weight: 2, speed: 1 }), { kind: 'registered' });
  assert.equal(balancer.register('replacement', addressOf(1)), { kind: 'registered' });
  assert.is(balancer.stats().backends.length, MAX_MEMBERS);
});

test('when full, the longest-removed members are forgotten first to make room', () => {
  const balancer = fullBalancer();
  balancer.deregister(addressOf(7), 'graceful');
  balancer.deregister(addressOf(3), 'graceful');
  balancer.deregister(addressOf(5), 'exited (code 1)');
  assert.equal(balancer.register('new-1', addressOf(MAX_MEMBERS)), { kind: 'registered' });
  assert.equal(balancer.register('new-2', addressOf(MAX_MEMBERS + 1)), { kind: 'registered' });
  const addresses = known(balancer);
  assert.equal([addresses.has(addressOf(7)), addresses.has(addressOf(3)), addresses.has(addressOf(5))], [false, false, true]);
  assert.is(addresses.size, MAX_MEMBERS);
  // The last removed one goes next; after that every member serves again and the door shuts.
  assert.equal(balancer.register('new-3', addressOf(MAX_MEMBERS + 2)), { kind: 'registered' });
  assert.is(balancer.register('new-4', addressOf(MAX_MEMBERS + 3)).kind, 'refused');
});

test('a registry listing more than the cap is truncated with an event, never a crash', () => {
  const events: BalancerEvent[] = [];
  const clock = fakeClock();
  const balancer = new Balancer(roundRobin, { random: seededRandom(11), nowMs: clock.nowMs, wallMs: clock.nowMs }, (event) => events.push(event));
  const listed: RegistryInstance[] = Array.from({ length: MAX_MEMBERS + 76 }, (_, index) => ({ id: `backend-${index}`, address: addressOf(index) }));
  balancer.applyRegistrySnapshot(listed);
  assert.is(balancer.stats().backends.length, MAX_MEMBERS);
  assert.equal(
    events.filter((event) => event.type === 'registry-truncated'),
    [{ type: 'registry-truncated', listed: MAX_MEMBERS + 76, dropped: 76, limit: MAX_MEMBERS }],
  );
  assert.is(balancer.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set() }).kind, 'backend');
});

test.run();
