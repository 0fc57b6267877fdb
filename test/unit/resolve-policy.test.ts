// The policy registry: names, lookup and the usage error for an unknown policy.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LbxError } from '../../src/core/lbx-error.js';
import { POLICIES, POLICY_CHOICES, resolvePolicy } from '../../src/core/policies/index.js';
import { POLICY_NAMES } from '../../src/core/policies/policy.js';

const test = suite('resolvePolicy');

test('POLICIES holds every policy name, in order', () => {
  assert.equal(
    POLICIES.map((policy) => policy.name),
    [...POLICY_NAMES],
  );
});

test('POLICY_CHOICES lists every short and long name', () => {
  assert.equal(
    [...POLICY_CHOICES],
    [
      ...['pf', 'rr', 'll', 'lc', 'ch', 'wrr', 'p2c', 'ewma', 'random', 'pq'],
      ...['pick_first', 'round_robin', 'least_load', 'least_connections', 'consistent_hash', 'weighted_round_robin', 'power_of_two', 'peak_ewma', 'random', 'prequal'],
    ],
  );
});

test('accepts short and long names, in any case', () => {
  assert.is(resolvePolicy('rr').name, 'round_robin');
  assert.is(resolvePolicy('round_robin').name, 'round_robin');
  assert.is(resolvePolicy('LL').name, 'least_load');
  assert.is(resolvePolicy('Pick_First').name, 'pick_first');
  for (const choice of POLICY_CHOICES) assert.ok(POLICIES.includes(resolvePolicy(choice)), choice);
});

test('an unknown name is a usage error naming the value and every choice', () => {
  let caught: unknown;
  try {
    resolvePolicy('xyz');
  } catch (error) {
    caught = error;
  }
  assert.instance(caught, LbxError);
  assert.is((caught as LbxError).code, 'usage');
  assert.is(
    (caught as LbxError).message,
    'unknown policy "xyz"; expected one of: pf (pick_first), rr (round_robin), ll (least_load), lc (least_connections), ' +
      'ch (consistent_hash), wrr (weighted_round_robin), p2c (power_of_two), ewma (peak_ewma), random (random), pq (prequal)',
  );
});

test('a near miss is not accepted', () => {
  assert.throws(() => resolvePolicy('round-robin'), /unknown policy "round-robin"/);
  assert.throws(() => resolvePolicy(''), /unknown policy ""/);
});

test.run();
