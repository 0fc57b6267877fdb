// The etcd adapter's keys and values: the key layout, prefix range ends, base64, and decoding values that may be anything.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { LbxError } from '../../src/core/lbx-error.js';
import { decodeInstance, encodeInstance } from '../../src/runtime/registry/etcd/etcd-instance-value.js';
import { clusterPrefix, fromBase64, idFromKey, instanceKey, prefixRange, servicePrefix, toBase64 } from '../../src/runtime/registry/etcd/etcd-keys.js';
import { parseEtcdAddress } from '../../src/runtime/registry/etcd/etcd-registry-client.js';

const keys = suite('etcd keys');

keys('an instance lives at /lbx/<cluster>/<service>/<id>', () => {
  const prefix = clusterPrefix('default');
  assert.is(prefix, '/lbx/default/');
  assert.is(servicePrefix(prefix, 'lbx-backend'), '/lbx/default/lbx-backend/');
  assert.is(instanceKey(prefix, 'lbx-backend', 'backend-7001'), '/lbx/default/lbx-backend/backend-7001');
});

keys('a cluster, service or id that is empty or holds "/" is a usage error naming it', () => {
  const cases: Array<[() => unknown, string]> = [
    [() => clusterPrefix(''), 'cluster name ""'],
    [() => clusterPrefix('a/b'), 'cluster name "a/b"'],
    [() => servicePrefix('/lbx/x/', 'lbx/backend'), 'service name "lbx/backend"'],
    [() => instanceKey('/lbx/x/', 'svc', 'a/b'), 'instance id "a/b"'],
  ];
  for (const [run, named] of cases) {
    try {
      run();
      assert.unreachable(`${named} was accepted`);
    } catch (error) {
      assert.instance(error, LbxError);
      assert.is((error as LbxError).code, 'usage');
      assert.ok((error as LbxError).message.startsWith(named), (error as LbxError).message);
    }
  }
});

keys('a prefix range ends at the prefix with its last byte incremented, past trailing 0xff bytes', () => {
  const ascii = prefixRange('/lbx/default/lbx-backend/');
  assert.is(ascii.key.toString('utf8'), '/lbx/default/lbx-backend/');
  assert.is(ascii.rangeEnd.toString('utf8'), '/lbx/default/lbx-backend0');
  // "ÿ" is 0xc3 0xbf in UTF-8: the last byte is incremented, never the character.
  assert.equal([...prefixRange('aÿ').rangeEnd], [0x61, 0xc3, 0xc0]);
  assert.equal([...prefixRange(Buffer.from([0x61, 0xff, 0xff])).rangeEnd], [0x62]);
  assert.equal([...prefixRange(Buffer.from([0xff, 0xff])).rangeEnd], [0x00], 'all 0xff: to the end of the keyspace');
});

keys('every key in the prefix sorts inside [key, rangeEnd), and the next service does not', () => {
  const { key, rangeEnd } = prefixRange('/lbx/c/svc/');
  const inside = ['/lbx/c/svc/', '/lbx/c/svc/a', '/lbx/c/svc/\u{10ffff}', '/lbx/c/svc/~~~'];
  const outside = ['/lbx/c/svc', '/lbx/c/svc0', '/lbx/c/svc-2/a', '/lbx/c/svd/'];
  for (const candidate of inside) {
    const bytes = Buffer.from(candidate);
    assert.ok(Buffer.compare(bytes, key) >= 0 && Buffer.compare(bytes, rangeEnd) < 0, `${candidate} is inside`);
  }
  for (const candidate of outside) {
    const bytes = Buffer.from(candidate);
    assert.ok(Buffer.compare(bytes, key) < 0 || Buffer.compare(bytes, rangeEnd) >= 0, `${candidate} is outside`);
  }
});

keys('base64 round-trips UTF-8, and a missing bytes field (the gateway omits empty ones) is ""', () => {
  assert.is(toBase64('/lbx/'), 'L2xieC8=');
  assert.is(fromBase64('L2xieC8='), '/lbx/');
  assert.is(fromBase64(toBase64('zoë/ünïcode')), 'zoë/ünïcode');
  assert.is(fromBase64(undefined), '');
});

keys('the id is the one segment after the service prefix', () => {
  assert.is(idFromKey('/lbx/c/svc/', '/lbx/c/svc/backend-1'), 'backend-1');
  assert.is(idFromKey('/lbx/c/svc/', '/lbx/c/svc/'), undefined);
  assert.is(idFromKey('/lbx/c/svc/', '/lbx/c/svc/a/b'), undefined);
  assert.is(idFromKey('/lbx/c/svc/', '/lbx/c/other/a'), undefined);
});

keys.run();

const values = suite('etcd instance values');
const PREFIX = '/lbx/default/lbx-backend/';
const KEY = `${PREFIX}backend-7001`;
const INSTANCE = { id: 'backend-7001', service: 'lbx-backend', address: '127.0.0.1', port: 7001, meta: { weight: '2', speed: '0.5' } };

values('a value is JSON {id, service, address, port, meta} and decodes back to the instance', () => {
  const value = encodeInstance({ ...INSTANCE, extra: 'dropped' } as typeof INSTANCE);
  assert.equal(JSON.parse(value), INSTANCE);
  assert.equal(decodeInstance(PREFIX, 'lbx-backend', KEY, value), INSTANCE);
});

values('meta keeps string values only; a missing or non-object meta is {}', () => {
  const decode = (meta: unknown) => decodeInstance(PREFIX, 'lbx-backend', KEY, JSON.stringify({ ...INSTANCE, meta }))?.meta;
  assert.equal(decode({ a: '1', b: 2, c: null, d: { e: 'f' } }), { a: '1' });
  assert.equal(decode(undefined), {});
  assert.equal(decode(['x']), {});
  assert.equal(decode('text'), {});
});

values('values lbx cannot use are skipped (undefined), never thrown', () => {
  const bad: Array<[string, string, string]> = [
    ['not JSON', KEY, '{"id":'],
    ['JSON null', KEY, 'null'],
    ['an array', KEY, '[]'],
    ['a number', KEY, '42'],
    ["an id other than the key's", KEY, JSON.stringify({ ...INSTANCE, id: 'backend-7002' })],
    ['another service', KEY, JSON.stringify({ ...INSTANCE, service: 'lbx-lb' })],
    ['no address', KEY, JSON.stringify({ ...INSTANCE, address: '' })],
    ['a numeric address', KEY, JSON.stringify({ ...INSTANCE, address: 127 })],
    ['port 0', KEY, JSON.stringify({ ...INSTANCE, port: 0 })],
    ['port 65536', KEY, JSON.stringify({ ...INSTANCE, port: 65_536 })],
    ['a fractional port', KEY, JSON.stringify({ ...INSTANCE, port: 70.5 })],
    ['a string port', KEY, JSON.stringify({ ...INSTANCE, port: '7001' })],
    ['a key one level deeper', `${KEY}/x`, encodeInstance(INSTANCE)],
    ['an empty value', KEY, ''],
  ];
  for (const [what, key, value] of bad) {
    assert.is(decodeInstance(PREFIX, 'lbx-backend', key, value), undefined, what);
  }
});

values.run();

const addresses = suite('etcd addresses');

addresses('host:port, a bare host (port 2379), http:// URLs and bracketed IPv6 are accepted', () => {
  assert.equal(parseEtcdAddress('127.0.0.1:25379'), { host: '127.0.0.1', port: 25_379, display: '127.0.0.1:25379' });
  assert.equal(parseEtcdAddress('etcd.local'), { host: 'etcd.local', port: 2_379, display: 'etcd.local:2379' });
  assert.equal(parseEtcdAddress('http://10.0.0.5:2379/'), { host: '10.0.0.5', port: 2_379, display: '10.0.0.5:2379' });
  assert.equal(parseEtcdAddress('[::1]:2379'), { host: '::1', port: 2_379, display: '[::1]:2379' });
  assert.equal(parseEtcdAddress('[::1]'), { host: '::1', port: 2_379, display: '[::1]:2379' });
});

addresses('https:// is refused with a usage error (the client speaks plain HTTP)', () => {
  try {
    parseEtcdAddress('https://127.0.0.1:2379');
    assert.unreachable('https was accepted');
  } catch (error) {
    assert.instance(error, LbxError);
    assert.is((error as LbxError).code, 'usage');
    assert.match((error as LbxError).message, 'uses TLS');
  }
});

addresses.run();
