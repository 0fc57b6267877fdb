// The set an etcd watch keeps: reset from a range, updated by events, handed to onChange only when it changed.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServiceInstance } from '../../src/runtime/registry/registry-contract.js';
import { encodeInstance } from '../../src/runtime/registry/etcd/etcd-instance-value.js';
import type { EtcdKv } from '../../src/runtime/registry/etcd/etcd-gateway-json.js';
import { WatchedSet, decodeInstances } from '../../src/runtime/registry/etcd/watched-set.js';
import { shuffleInPlace } from '../../src/core/random/seeded-random.js';
import { seededRandom } from '../helpers/seeded-random.js';

const PREFIX = '/lbx/default/lbx-backend/';
const instance = (port: number, meta: Record<string, string> = {}): ServiceInstance => ({
  id: `backend-${port}`,
  service: 'lbx-backend',
  address: '127.0.0.1',
  port,
  meta,
});
const kv = (value: ServiceInstance): EtcdKv => ({ key: `${PREFIX}${value.id}`, value: encodeInstance(value), lease: '1', modRevision: '1' });
const put = (value: ServiceInstance) => ({ type: 'put' as const, key: `${PREFIX}${value.id}`, value: encodeInstance(value), modRevision: '2' });
const del = (id: string) => ({ type: 'delete' as const, key: `${PREFIX}${id}`, value: '', modRevision: '3' });
const ids = (set: ServiceInstance[] | undefined): string[] | undefined => set?.map((member) => member.id);

const test = suite('etcd watched set');

test('the first take is the set even when empty; taking again without a change gives nothing', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([]);
  assert.equal(set.takeChange(), []);
  assert.is(set.takeChange(), undefined);
});

test('puts and deletes change the set; the full set is handed out, sorted by id', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([kv(instance(7003)), kv(instance(7001))]);
  assert.equal(ids(set.takeChange()), ['backend-7001', 'backend-7003']);
  set.apply([put(instance(7002))]);
  assert.equal(set.takeChange(), [instance(7001), instance(7002), instance(7003)]);
  set.apply([del('backend-7001')]);
  assert.equal(ids(set.takeChange()), ['backend-7002', 'backend-7003']);
});

test('a re-put with the same value, or a delete of an unknown key, is no change', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([kv(instance(7001))]);
  set.takeChange();
  set.apply([put(instance(7001)), del('backend-9999')]);
  assert.is(set.takeChange(), undefined);
});

test('a changed meta is a change (the LB reads weights from it)', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([kv(instance(7001, { weight: '1' }))]);
  set.takeChange();
  set.apply([put(instance(7001, { weight: '3' }))]);
  assert.equal(set.takeChange(), [instance(7001, { weight: '3' })]);
});

test('an instance that leaves and comes back within one response is no change', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([kv(instance(7001))]);
  set.takeChange();
  set.apply([del('backend-7001'), put(instance(7001))]);
  assert.is(set.takeChange(), undefined);
});

test('a reset after a reconnect replaces everything, and is handed out only if it differs from the last set taken', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([kv(instance(7001)), kv(instance(7002))]);
  set.takeChange();
  set.reset([kv(instance(7002)), kv(instance(7001))]);
  assert.is(set.takeChange(), undefined, 'same members in another order');
  set.reset([kv(instance(7002))]);
  assert.equal(ids(set.takeChange()), ['backend-7002']);
});

test('malformed values are skipped; overwriting a good value with a bad one removes the instance', () => {
  const set = new WatchedSet(PREFIX, 'lbx-backend');
  set.reset([
    kv(instance(7001)),
    { key: `${PREFIX}junk`, value: 'not json', lease: '0', modRevision: '1' },
    { key: `${PREFIX}a/b`, value: encodeInstance(instance(7009)), lease: '0', modRevision: '1' },
  ]);
  assert.equal(ids(set.takeChange()), ['backend-7001']);
  set.apply([{ type: 'put', key: `${PREFIX}backend-7001`, value: '{"id":"backend-7001"}', modRevision: '4' }]);
  assert.equal(set.takeChange(), []);
});

test('per key the last event wins, and keys do not affect each other (property, 500 seeded shuffles)', () => {
  const random = seededRandom(7);
  const events = [put(instance(7001)), put(instance(7002)), put(instance(7003)), del('backend-7005'), put(instance(7005)), del('backend-7005'), put(instance(7005))];
  for (let round = 0; round < 500; round += 1) {
    const order = shuffleInPlace([...events], random);
    const lastFor7005 = order.filter((event) => event.key.endsWith('backend-7005')).at(-1);
    const expected = ['backend-7001', 'backend-7002', 'backend-7003', ...(lastFor7005?.type === 'put' ? ['backend-7005'] : [])];
    const set = new WatchedSet(PREFIX, 'lbx-backend');
    set.reset([]);
    set.takeChange();
    set.apply(order);
    assert.equal(ids(set.takeChange()), expected, JSON.stringify(order.map((event) => `${event.type} ${event.key}`)));
  }
});

test('decodeInstances: what resolve returns for a range', () => {
  assert.equal(decodeInstances(PREFIX, 'lbx-backend', [kv(instance(7002)), { key: `${PREFIX}x`, value: '', lease: '0', modRevision: '1' }, kv(instance(7001))]), [
    instance(7001),
    instance(7002),
  ]);
});

test.run();
