// pick_first: stable choice of the first backend, failing over in address order.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { pickFirst } from '../../src/core/policies/pick-first.js';
import { IGNORE_OUTCOME } from '../../src/core/policies/policy.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { seededRandom } from '../helpers/seeded-random.js';

const deps = () => ({ random: seededRandom(1), nowMs: fakeClock().nowMs });

const test = suite('pick_first');

test('always picks the first backend', () => {
  const picker = pickFirst.createPicker(makeBackends(3), deps());
  const picks = Array.from({ length: 20 }, () => pickedAddress(picker.pick(pickRequest())));
  assert.equal(new Set(picks), new Set(['127.0.0.1:7001']));
});

test('fails over down the list when earlier backends are excluded', () => {
  const picker = pickFirst.createPicker(makeBackends(3), deps());
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001']))), '127.0.0.1:7002');
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001', '127.0.0.1:7002']))), '127.0.0.1:7003');
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7002']))), '127.0.0.1:7001');
});

test('fails over when the first backend is gone from the list', () => {
  const [, ...rest] = makeBackends(3);
  assert.is(pickedAddress(pickFirst.createPicker(rest, deps()).pick(pickRequest())), '127.0.0.1:7002');
});

test('unavailable with a reason when every backend is excluded', () => {
  const backends = makeBackends(3);
  const result = pickFirst.createPicker(backends, deps()).pick(pickRequest(backends.map((b) => b.address)));
  assert.equal(result, { kind: 'unavailable', reason: 'all 3 healthy backends excluded by the client' });
});

test('unavailable with a different reason when there is no backend', () => {
  assert.equal(pickFirst.createPicker([], deps()).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test('a single excluded backend is named', () => {
  const result = pickFirst.createPicker(makeBackends(1), deps()).pick(pickRequest(['127.0.0.1:7001']));
  assert.equal(result, { kind: 'unavailable', reason: 'the only healthy backend (127.0.0.1:7001) is excluded by the client' });
});

test('the picker does not see later changes to the array it was built from', () => {
  const backends = makeBackends(2);
  const picker = pickFirst.createPicker(backends, deps());
  backends.shift();
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
});

test('onDone is the shared no-op', () => {
  const result = pickFirst.createPicker(makeBackends(1), deps()).pick(pickRequest());
  assert.is(result.kind === 'backend' && result.onDone, IGNORE_OUTCOME);
});

test.run();
