// The embedded registry's write ACL (the cluster token, presented as Consul clients present theirs) and its catalogue bound.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createConsulRegistryClient } from '../../src/runtime/registry/consul-registry-client.js';
import { consulRequest, startTestRegistry, TEST_REGISTRY_TOKEN, type TestRegistry } from '../helpers/registry-kit.js';

const test = suite('embedded registry: write ACL and catalogue bound');
const context: { registry?: TestRegistry } = {};

test.before.each(async () => {
  context.registry = await startTestRegistry(0, { limits: { maxServices: 5, maxChecks: 8 } });
});
test.after.each(async () => {
  await context.registry?.registry.close();
});

const junk = (id: string): Record<string, unknown> => ({ Name: 'lbx-backend', ID: id, Address: '127.0.0.1', Port: 13_601, Check: { TTL: '30s', Status: 'passing' } });

test('an anonymous or wrong-token register is refused with 403 naming the token, and the catalogue is unchanged', async () => {
  const { base, log } = context.registry!;
  for (const token of [null, 'not-the-token']) {
    const reply = await consulRequest(base, 'PUT', '/v1/agent/service/register', junk('intruder'), 5_000, token);
    assert.is(reply.status, 403, `token ${String(token)}: ${reply.text}`);
    assert.match(reply.text, /Permission denied/);
    assert.match(reply.text, /X-Consul-Token/);
  }
  const services = (await consulRequest(base, 'GET', '/v1/agent/services', undefined, 5_000, null)).json<Record<string, unknown>>();
  assert.equal(Object.keys(services), []);
  assert.is(log.events.length, 0, 'no registration happened');
});

test('the token is accepted as X-Consul-Token, Authorization: Bearer, and ?token=; reads stay anonymous', async () => {
  const { base } = context.registry!;
  assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/register', junk('by-header'))).status, 200);
  const bearer = await fetch(`${base}/v1/agent/service/register`, {
    method: 'PUT',
    body: JSON.stringify(junk('by-bearer')),
    headers: { Authorization: `Bearer ${TEST_REGISTRY_TOKEN}` },
  });
  assert.is(bearer.status, 200, await bearer.text());
  const query = await consulRequest(base, 'PUT', `/v1/agent/service/register?token=${TEST_REGISTRY_TOKEN}`, junk('by-query'), 5_000, null);
  assert.is(query.status, 200, query.text);
  const passing = (await consulRequest(base, 'GET', '/v1/health/service/lbx-backend?passing', undefined, 5_000, null)).json<unknown[]>();
  assert.is(passing.length, 3, 'anonymous health reads see all three');
});

test('deregister and check updates need the token too', async () => {
  const { base } = context.registry!;
  assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/register', junk('victim'))).status, 200);
  for (const path of ['/v1/agent/service/deregister/victim', '/v1/agent/check/fail/service:victim', '/v1/agent/check/pass/service:victim']) {
    assert.is((await consulRequest(base, 'PUT', path, undefined, 5_000, null)).status, 403, path);
  }
  const update = await consulRequest(base, 'PUT', '/v1/agent/check/update/service:victim', { Status: 'critical', Output: 'x' }, 5_000, null);
  assert.is(update.status, 403);
  const [entry] = (await consulRequest(base, 'GET', '/v1/health/service/lbx-backend', undefined, 5_000, null)).json<Array<{ Checks: Array<{ Status: string }> }>>();
  assert.equal(
    entry?.Checks.map((check) => check.Status),
    ['passing', 'passing'],
    'still registered and passing',
  );
});

test('past the service limit a register is refused with 429 saying so; replacing a registered service still works', async () => {
  const { base } = context.registry!;
  for (let index = 0; index < 5; index += 1) assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/register', junk(`b${index}`))).status, 200);
  const over = await consulRequest(base, 'PUT', '/v1/agent/service/register', junk('b5'));
  assert.is(over.status, 429, over.text);
  assert.match(over.text, /at most 5/);
  assert.match(over.text, /"b5"/);
  assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/register', { ...junk('b0'), Port: 13_602 })).status, 200, 'a replacement does not grow the catalogue');
  assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/deregister/b1')).status, 200);
  assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/register', junk('b5'))).status, 200, 'room again after a deregister');
});

test('past the check limit a register is refused with 429', async () => {
  const { base } = context.registry!;
  const twoChecks = (id: string): Record<string, unknown> => ({ Name: 'multi', ID: id, Port: 1, Checks: [{ TTL: '30s' }, { TTL: '30s' }] });
  for (const id of ['m1', 'm2', 'm3', 'm4']) assert.is((await consulRequest(base, 'PUT', '/v1/agent/service/register', twoChecks(id))).status, 200);
  const over = await consulRequest(base, 'PUT', '/v1/agent/service/register', { Name: 'one', ID: 'one', Port: 1, Check: { TTL: '30s' } });
  assert.is(over.status, 429, over.text);
  assert.match(over.text, /Too many checks/);
});

test('the adapter sends its token: with it registering works, without it the error names HTTP 403', async () => {
  const { registry } = context.registry!;
  const withToken = createConsulRegistryClient({ address: registry.address, token: TEST_REGISTRY_TOKEN });
  const saved = process.env['CONSUL_HTTP_TOKEN'];
  delete process.env['CONSUL_HTTP_TOKEN'];
  const anonymous = createConsulRegistryClient({ address: registry.address });
  try {
    await withToken.register({ id: 'ok-1', service: 'svc', address: '127.0.0.1', port: 1, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
    const failure = await anonymous.register({ id: 'no-1', service: 'svc', address: '127.0.0.1', port: 2, meta: {} }, { kind: 'ttl', ttlMs: 30_000 }).then(
      () => undefined,
      (error: Error) => error.message,
    );
    assert.match(failure ?? 'registered', /HTTP 403.*Permission denied/);
  } finally {
    if (saved !== undefined) process.env['CONSUL_HTTP_TOKEN'] = saved;
    withToken.close();
    anonymous.close();
  }
});

test.run();
