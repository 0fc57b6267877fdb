// Slow start: Envoy's ramp, applied to lbx's own picks and to the weights pushed to stock xDS clients.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { Balancer } from '../../src/core/balancer.js';
import { SLOW_START_MIN_FRACTION, slowStartFactor } from '../../src/core/load/slow-start.js';
import { consistentHash, roundRobin } from '../../src/core/policies/index.js';
import { planXds, RAMP_SCALE } from '../../src/core/xds/xds-plan.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const ramp = suite('slow start');

ramp('the factor is max(10 %, t / window), 1 after the window or without one', () => {
  assert.is(slowStartFactor(0, 10_000), SLOW_START_MIN_FRACTION);
  assert.is(slowStartFactor(500, 10_000), SLOW_START_MIN_FRACTION);
  assert.is(slowStartFactor(5_000, 10_000), 0.5);
  assert.is(slowStartFactor(10_000, 10_000), 1);
  assert.is(slowStartFactor(5_000, 0), 1);
  // aggression 2: the square root, faster early.
  assert.is(slowStartFactor(2_500, 10_000, 0.1, 2), 0.5);
});

/** Shares of `picks` round-robin picks over 3 old backends and one that joins at t = 0. */
function sharesAt(atMs: number, policy = roundRobin, picks = 20_000): number {
  const clock = fakeClock();
  const balancer = new Balancer(policy, { random: seededRandom(3), nowMs: clock.nowMs, wallMs: clock.nowMs });
  balancer.setSlowStart(10_000);
  for (const port of [7001, 7002, 7003]) balancer.register(`b-${port}`, `127.0.0.1:${port}`);
  clock.advance(60_000);
  balancer.register('b-7004', '127.0.0.1:7004');
  clock.advance(atMs);
  let newcomer = 0;
  for (let index = 0; index < picks; index += 1) {
    const result = balancer.pick({ taskKind: 'SIMPLE', key: `k${index}`, exclude: new Set() });
    if (result.kind === 'backend' && result.backend.address === '127.0.0.1:7004') newcomer += 1;
  }
  return newcomer / picks;
}

ramp("lbx's picks: a joining backend starts near 10 % of its steady share and reaches it at the end of the window", () => {
  const steady = 0.25;
  const start = sharesAt(0);
  // round robin keeps a pick with probability 0.1; a rejected one goes to the next backend.
  assert.ok(start <= 0.15 * steady, `share at t=0: ${start}`);
  assert.ok(Math.abs(sharesAt(5_000) - 0.5 * steady) < 0.3 * 0.5 * steady, `halfway: ${sharesAt(5_000)}`);
  assert.ok(Math.abs(sharesAt(10_000) - steady) < 0.01, `after the window: ${sharesAt(10_000)}`);
  const stats = new Balancer(roundRobin, { random: Math.random, nowMs: () => 0, wallMs: () => 0 });
  stats.setSlowStart(10_000);
  stats.register('b', '127.0.0.1:7001');
  assert.is(stats.stats().backends[0]!.slowStartFactor, SLOW_START_MIN_FRACTION);
});

ramp('consistent_hash is not thinned: a key stays on its owner', () => {
  const share = sharesAt(0, consistentHash);
  assert.ok(share > 0.15, `a new backend owns its part of the ring at once: ${share}`);
});

ramp('stock clients: while one backend ramps, weights are scaled so its share follows the factor', () => {
  const backends = [7001, 7002, 7003].map((port) => ({ host: '127.0.0.1', port, weight: 1, inFlight: undefined, health: 'healthy' as const }));
  const ramping = planXds('round_robin', [...backends, { host: '127.0.0.1', port: 7004, weight: 1, inFlight: undefined, health: 'healthy', slowStartFactor: 0.1 }]);
  assert.ok(ramping.weighted, 'one locality per backend while ramping');
  assert.equal(
    ramping.endpoints.map((endpoint) => endpoint.weight),
    [RAMP_SCALE, RAMP_SCALE, RAMP_SCALE, RAMP_SCALE / 10],
  );
  const done = planXds('round_robin', [...backends, { host: '127.0.0.1', port: 7004, weight: 1, inFlight: undefined, health: 'healthy', slowStartFactor: 1 }]);
  assert.not.ok(done.weighted);
  assert.equal(
    done.endpoints.map((endpoint) => endpoint.weight),
    [1, 1, 1, 1],
  );
  const hashed = planXds('consistent_hash', [...backends, { host: '127.0.0.1', port: 7004, weight: 1, inFlight: undefined, health: 'healthy', slowStartFactor: 0.1 }]);
  assert.equal(
    hashed.endpoints.map((endpoint) => endpoint.weight),
    [1, 1, 1, 1],
    'ring_hash keeps its weights',
  );
});

ramp.run();
