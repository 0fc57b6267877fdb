// What stock clients are told per lbx policy, load-driven weights and when a change is worth a push.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { POLICIES } from '../../src/core/policies/index.js';
import { isMaterialChange, loadDrivenWeights, mapPolicyForXds, MAX_LOAD_WEIGHT, planXds, XDS_HASH_HEADER, type XdsBackendInput } from '../../src/core/xds/xds-plan.js';

const backend = (port: number, fields: Partial<XdsBackendInput> = {}): XdsBackendInput => ({
  host: '127.0.0.1',
  port,
  weight: 1,
  inFlight: undefined,
  health: 'healthy',
  ...fields,
});

const plan = suite('xDS plan');

plan('every lbx policy has a mapping; an unknown name is an error', () => {
  for (const policy of POLICIES) assert.ok(mapPolicyForXds(policy.name).note.length > 0, policy.name);
  assert.throws(() => mapPolicyForXds('nope'), /no xDS mapping for policy "nope"/);
});

plan('ch hashes the x-lbx-key header on ring_hash; wrr carries the backend weights; rr is equal', () => {
  const backends = [backend(7002, { weight: 2 }), backend(7001, { weight: 1 }), backend(7003, { weight: 5 })];
  const ch = planXds('consistent_hash', backends);
  assert.is(ch.mapping.lbPolicy, 'ring_hash');
  assert.is(ch.mapping.hashHeader, XDS_HASH_HEADER);
  const wrr = planXds('weighted_round_robin', backends);
  assert.equal(
    wrr.endpoints.map((endpoint) => [endpoint.port, endpoint.weight]),
    [
      [7001, 1],
      [7002, 2],
      [7003, 5],
    ],
    'sorted by port, weights kept',
  );
  assert.equal(
    planXds('round_robin', backends).endpoints.map((endpoint) => endpoint.weight),
    [1, 1, 1],
  );
});

plan('load-driven weights fall with in flight; a backend without a report gets the median', () => {
  assert.equal(loadDrivenWeights([0, 1, 3]), [MAX_LOAD_WEIGHT, 50, 25]);
  assert.equal(loadDrivenWeights([0, undefined, 3]), [MAX_LOAD_WEIGHT, MAX_LOAD_WEIGHT, 25]);
  assert.equal(loadDrivenWeights([undefined]), [MAX_LOAD_WEIGHT]);
  assert.ok(loadDrivenWeights([1_000_000])[0]! >= 1, 'never zero: a zero weight would remove the backend');
});

plan('with ORCA load weights, load-aware policies become weighted_round_robin with equal EDS weights; others keep their mapping', () => {
  for (const name of ['least_load', 'least_connections', 'power_of_two', 'peak_ewma']) {
    const orca = planXds(name, [backend(1, { inFlight: 0 }), backend(2, { inFlight: 9 })], 'orca');
    assert.is(orca.mapping.lbPolicy, 'weighted_round_robin', name);
    assert.equal(
      orca.endpoints.map((endpoint) => endpoint.weight),
      [1, 1],
    );
    assert.is(orca.weighted, false, 'one locality: the client weighs, not the control plane');
  }
  assert.equal(mapPolicyForXds('weighted_round_robin', 'orca'), mapPolicyForXds('weighted_round_robin'));
  assert.equal(mapPolicyForXds('consistent_hash', 'orca'), mapPolicyForXds('consistent_hash'));
  const pushed = planXds('least_load', [backend(1, { inFlight: 0 })]);
  assert.ok(isMaterialChange(pushed, planXds('least_load', [backend(1, { inFlight: 0 })], 'orca')), 'a change of where weights come from is pushed');
});

plan('a material change: membership, health, policy, any wrr weight; load weights only beyond 20 %', () => {
  const base = planXds('least_load', [backend(7001, { inFlight: 0 }), backend(7002, { inFlight: 1 })]);
  assert.ok(isMaterialChange(undefined, base));
  assert.not.ok(isMaterialChange(base, planXds('least_load', [backend(7001, { inFlight: 0 }), backend(7002, { inFlight: 1 })])));
  // 50 → 40 is 20 %: not material; 50 → 33 is.
  assert.not.ok(isMaterialChange(base, planXds('least_load', [backend(7001, { inFlight: 0 }), backend(7002, { inFlight: 1.5 })])));
  assert.ok(isMaterialChange(base, planXds('least_load', [backend(7001, { inFlight: 0 }), backend(7002, { inFlight: 2 })])));
  assert.ok(isMaterialChange(base, planXds('least_load', [backend(7001, { inFlight: 0 })])));
  assert.ok(isMaterialChange(base, planXds('round_robin', [backend(7001), backend(7002)])));
  assert.ok(isMaterialChange(base, planXds('least_load', [backend(7001, { inFlight: 0 }), backend(7002, { inFlight: 1, health: 'draining' })])));
  const wrr = planXds('weighted_round_robin', [backend(7001, { weight: 10 })]);
  assert.ok(isMaterialChange(wrr, planXds('weighted_round_robin', [backend(7001, { weight: 11 })])));
});

plan.run();
