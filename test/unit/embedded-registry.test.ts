// The embedded registry's Consul HTTP API: checks, passing sets, blocking queries, the index, and its error replies.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { performance } from 'node:perf_hooks';
import { LbxError } from '../../src/core/lbx-error.js';
import { createConsulRegistryClient } from '../../src/runtime/registry/consul-registry-client.js';
import type { RegistryClient } from '../../src/runtime/registry/registry-contract.js';
import {
  consulRequest,
  freePort,
  openTcpTarget,
  startTestRegistry,
  TEST_REGISTRY_TOKEN,
  untilHealth,
  type ConsulReply,
  type HealthEntry,
  type TcpTarget,
  type TestRegistry,
} from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

interface Context {
  registry?: TestRegistry;
  client?: RegistryClient;
  targets: TcpTarget[];
}

const api = suite<Context>('embedded registry: Consul HTTP API', { targets: [] });

api.before(async (context) => {
  context.registry = await startTestRegistry();
  context.client = createConsulRegistryClient({ address: context.registry.registry.address, token: TEST_REGISTRY_TOKEN });
});

api.after(async (context) => {
  context.client?.close();
  await Promise.all(context.targets.map((target) => target.close()));
  await context.registry?.registry.close();
});

const setup = (context: Context): { base: string; client: RegistryClient; registry: TestRegistry } => {
  if (context.registry === undefined || context.client === undefined) throw new Error('registry not started');
  return { base: context.registry.base, client: context.client, registry: context.registry };
};

const get = (base: string, path: string, timeoutMs?: number): Promise<ConsulReply> => consulRequest(base, 'GET', path, undefined, timeoutMs);
const put = (base: string, path: string, body?: unknown): Promise<ConsulReply> => consulRequest(base, 'PUT', path, body);

const checkStatuses = async (base: string, service: string): Promise<Record<string, string>> =>
  Object.fromEntries((await get(base, `/v1/health/checks/${service}`)).json<Array<{ CheckID: string; Status: string }>>().map((check) => [check.CheckID, check.Status]));

const passingIds = async (base: string, service: string): Promise<string[]> =>
  (await get(base, `/v1/health/service/${service}?passing`)).json<HealthEntry[]>().map((entry) => entry.Service.ID);

const registerTtl = async (base: string, name: string, id: string, extra: Record<string, unknown> = {}): Promise<void> => {
  const reply = await put(base, '/v1/agent/service/register', { Name: name, ID: id, Address: '127.0.0.1', Port: 7000, Check: { TTL: '30s' }, ...extra });
  assert.is(reply.status, 200, reply.text);
};

api('identifies itself as a single-node, non-replicated lbx registry and is its own leader', async (context) => {
  const { base, registry } = setup(context);
  const root = await get(base, '/');
  assert.is(root.status, 200);
  assert.match(root.text, 'lbx embedded registry (single node, not replicated)');
  assert.match(root.headers.get('x-lbx-registry') ?? '', 'not replicated');

  assert.is((await get(base, '/v1/status/leader')).json(), registry.registry.address);
  assert.equal((await get(base, '/v1/status/peers')).json(), [registry.registry.address]);
  const self = (await get(base, '/v1/agent/self')).json<{ Config: { NodeName: string; Datacenter: string }; Member: { Port: number } }>();
  assert.is(self.Config.NodeName, 'lbx-test-node');
  assert.is(self.Config.Datacenter, 'dc1');
  assert.is(self.Member.Port, registry.registry.port);
});

api('a TCP-checked instance starts critical and joins the passing set only once its port accepts connections', async (context) => {
  const { base, client, registry } = setup(context);
  const port = await freePort();
  const from = registry.log.mark();
  await client.register({ id: 'tcp-1', service: 'tcp-svc', address: '127.0.0.1', port, meta: {} }, { kind: 'tcp', intervalMs: 100 });

  const registered = await registry.log.next((event) => event.type === 'registered' && event.serviceId === 'tcp-1', 1_000, 'registration', from);
  assert.equal(registered.type === 'registered' && registered.checks, [{ checkId: 'service:tcp-1', status: 'critical' }]);
  // Nothing listens on the port, so no probe can pass: these reads are deterministic.
  assert.equal(await checkStatuses(base, 'tcp-svc'), { 'service:tcp-1': 'critical' });
  assert.equal(await passingIds(base, 'tcp-svc'), []);
  assert.equal(
    (await get(base, '/v1/health/service/tcp-svc')).json<HealthEntry[]>().map((entry) => entry.Service.ID),
    ['tcp-1'],
  );

  const target = await openTcpTarget(port);
  context.targets.push(target);
  const entries = await untilHealth(base, 'tcp-svc', (list) => list.length === 1, 3_000, '&passing');
  const serviceCheck = entries[0]?.Checks.find((check) => check.CheckID === 'service:tcp-1');
  assert.is(serviceCheck?.Output, `TCP connect 127.0.0.1:${port}: Success`);
  assert.ok(target.connections() >= 1, 'the check dialled the target');

  const down = registry.log.mark();
  await target.close();
  const critical = await registry.log.next(
    (event) => event.type === 'check-status-changed' && event.checkId === 'service:tcp-1' && event.to === 'critical',
    3_000,
    'the TCP check failing',
    down,
  );
  // Usually "connect: connection refused"; a dial racing the close may see a reset instead.
  assert.match(critical.type === 'check-status-changed' ? critical.output : '', new RegExp(`^dial tcp 127\\.0\\.0\\.1:${port}: `), JSON.stringify(critical));
  assert.equal(await passingIds(base, 'tcp-svc'), []);
});

api('the node check is passing and listed with the instance checks', async (context) => {
  const { base } = setup(context);
  await registerTtl(base, 'node-check-svc', 'ncs-1', { Check: { TTL: '30s', Status: 'passing' } });
  const [entry] = (await get(base, '/v1/health/service/node-check-svc?passing')).json<HealthEntry[]>();
  assert.equal(
    entry?.Checks.map((check) => [check.CheckID, check.Status]),
    [
      ['serfHealth', 'passing'],
      ['service:ncs-1', 'passing'],
    ],
  );
  assert.is(entry?.Node.Node, 'lbx-test-node');
});

api('a blocking query returns promptly with a higher index when the service changes', async (context) => {
  const { base } = setup(context);
  await registerTtl(base, 'block-svc', 'block-1');
  const before = await get(base, '/v1/health/service/block-svc');
  assert.ok(before.index >= 1);

  const blocked = get(base, `/v1/health/service/block-svc?index=${before.index}&wait=10s`, 12_000);
  const pass = await put(base, '/v1/agent/check/pass/service:block-1');
  assert.is(pass.status, 200, pass.text);
  const after = await withTimeout(blocked, 2_000, 'blocking query after a change');
  assert.ok(after.index > before.index, `index ${after.index} > ${before.index}`);
  // Had it returned before the pass, it would show the old index and a critical check.
  assert.is(after.json<HealthEntry[]>()[0]?.Checks.find((check) => check.CheckID === 'service:block-1')?.Status, 'passing');
});

api('a blocking query with no change waits for ?wait and returns the same index; a TCP check passing again does not move it', async (context) => {
  const { base } = setup(context);
  const target = await openTcpTarget();
  context.targets.push(target);
  const register = await put(base, '/v1/agent/service/register', {
    Name: 'steady-svc',
    ID: 'steady-1',
    Address: '127.0.0.1',
    Port: target.port,
    Check: { TCP: `127.0.0.1:${target.port}`, Interval: '100ms', Timeout: '1s' },
  });
  assert.is(register.status, 200, register.text);
  await untilHealth(base, 'steady-svc', (list) => list.length === 1, 3_000, '&passing');

  const steady = await get(base, '/v1/health/service/steady-svc?passing');
  const dialsBefore = target.connections();
  const reply = await get(base, `/v1/health/service/steady-svc?passing&index=${steady.index}&wait=300ms`, 3_000);
  assert.is(reply.index, steady.index);
  assert.ok(reply.elapsedMs >= 290, `waited ${reply.elapsedMs.toFixed(0)} ms`);
  assert.ok(reply.elapsedMs < 300 + 300 / 16 + 500, `returned after ${reply.elapsedMs.toFixed(0)} ms`);
  // The check kept dialling (every 100 ms) and passing during those 300 ms without moving the index.
  assert.ok(target.connections() - dialsBefore >= 2, `dialled ${target.connections() - dialsBefore} times while waiting`);
});

api('an index from before a restart (above the current one) is answered at once with the current index', async (context) => {
  const { base } = setup(context);
  await registerTtl(base, 'future-svc', 'future-1');
  const now = await get(base, '/v1/health/service/future-svc');
  const reply = await get(base, `/v1/health/service/future-svc?index=${now.index + 1_000}&wait=10s`, 2_000);
  assert.is(reply.index, now.index);
  assert.ok(reply.elapsedMs < 1_000, `answered after ${reply.elapsedMs.toFixed(0)} ms`);
});

api('the index never goes backwards; deregistration moves a service index forward; it is never 0', async (context) => {
  const { base } = setup(context);
  const serviceIndexes: number[] = [];
  const globalIndexes: number[] = [];
  const sample = async (): Promise<void> => {
    serviceIndexes.push((await get(base, '/v1/health/service/mono-svc')).index);
    globalIndexes.push((await get(base, '/v1/agent/services')).index);
  };

  const unseen = await get(base, '/v1/health/service/never-registered-svc');
  assert.ok(unseen.index >= 1, 'an unknown service still has index >= 1');
  await sample();
  await registerTtl(base, 'mono-svc', 'mono-1');
  await sample();
  await put(base, '/v1/agent/check/pass/service:mono-1');
  await sample();
  await put(base, '/v1/agent/check/fail/service:mono-1');
  await sample();
  await registerTtl(base, 'mono-other-svc', 'mono-other-1');
  await sample();
  const beforeDeregister = serviceIndexes.at(-1) ?? 0;
  assert.is((await put(base, '/v1/agent/service/deregister/mono-1')).status, 200);
  await sample();

  for (const series of [serviceIndexes, globalIndexes]) {
    series.forEach((index, position) => {
      assert.ok(index >= 1, `index ${index} is at least 1`);
      if (position > 0) assert.ok(index >= (series[position - 1] ?? 0), `index went from ${series[position - 1]} to ${index}`);
    });
  }
  assert.ok((serviceIndexes.at(-1) ?? 0) > beforeDeregister, 'the deregistration is part of the service index');
  assert.ok((serviceIndexes[2] ?? 0) > (serviceIndexes[1] ?? 0), 'a status change moves the service index');
  assert.is(serviceIndexes[4], serviceIndexes[3], 'another service registering does not move this one');
});

api('a TTL check not updated within its TTL turns from passing to critical', async (context) => {
  const { client, registry } = setup(context);
  await client.register({ id: 'ttl-1', service: 'ttl-svc', address: '127.0.0.1', port: 7001, meta: {} }, { kind: 'ttl', ttlMs: 300 });
  const from = registry.log.mark();
  const passedAt = performance.now(); // before the request, so the server's countdown cannot have started earlier
  await client.passTtl('ttl-1');
  assert.equal(
    (await client.resolve('ttl-svc')).map((instance) => instance.id),
    ['ttl-1'],
  );

  const expired = await registry.log.next(
    (event) => event.type === 'check-status-changed' && event.checkId === 'service:ttl-1' && event.to === 'critical',
    2_000,
    'the TTL to expire',
    from,
  );
  const elapsedMs = performance.now() - passedAt;
  assert.ok(elapsedMs >= 290, `expired after ${elapsedMs.toFixed(0)} ms (TTL 300 ms)`);
  assert.is(expired.type === 'check-status-changed' ? expired.output : '', 'TTL expired');
  assert.equal(await client.resolve('ttl-svc'), []);
});

api('pass, warn, fail and update set status and output; warning is not passing', async (context) => {
  const { base } = setup(context);
  await registerTtl(base, 'pwf-svc', 'pwf-1');
  const output = async (): Promise<string> => (await get(base, '/v1/agent/checks')).json<Record<string, { Output: string }>>()['service:pwf-1']?.Output ?? '?';

  assert.is((await put(base, '/v1/agent/check/warn/service:pwf-1?note=slow%20disk')).status, 200);
  assert.equal(await checkStatuses(base, 'pwf-svc'), { 'service:pwf-1': 'warning' });
  assert.is(await output(), 'slow disk');
  assert.equal(await passingIds(base, 'pwf-svc'), []);
  assert.equal((await get(base, '/v1/health/service/pwf-svc')).json<HealthEntry[]>().length, 1, 'still listed without ?passing');

  assert.is((await put(base, '/v1/agent/check/pass/service:pwf-1?note=fine')).status, 200);
  assert.equal(await passingIds(base, 'pwf-svc'), ['pwf-1']);
  assert.is(await output(), 'fine');

  assert.is((await put(base, '/v1/agent/check/fail/service:pwf-1')).status, 200);
  assert.equal(await checkStatuses(base, 'pwf-svc'), { 'service:pwf-1': 'critical' });

  const update = await put(base, '/v1/agent/check/update/service:pwf-1', { Status: 'passing', Output: 'all good' });
  assert.is(update.status, 200, update.text);
  assert.equal(await passingIds(base, 'pwf-svc'), ['pwf-1']);
  assert.is(await output(), 'all good');
});

api('passing means every check of the instance passes (several checks get IDs service:<id>:1, :2)', async (context) => {
  const { base } = setup(context);
  const reply = await put(base, '/v1/agent/service/register', {
    Name: 'multi-svc',
    ID: 'multi-1',
    Port: 7002,
    Checks: [{ TTL: '30s' }, { TTL: '30s', Name: 'second' }],
  });
  assert.is(reply.status, 200, reply.text);
  assert.equal(await checkStatuses(base, 'multi-svc'), { 'service:multi-1:1': 'critical', 'service:multi-1:2': 'critical' });

  await put(base, '/v1/agent/check/pass/service:multi-1:1');
  assert.equal(await passingIds(base, 'multi-svc'), [], 'one critical check keeps the instance out');
  await put(base, '/v1/agent/check/pass/service:multi-1:2');
  assert.equal(await passingIds(base, 'multi-svc'), ['multi-1']);
  await put(base, '/v1/agent/check/warn/service:multi-1:2');
  assert.equal(await passingIds(base, 'multi-svc'), [], 'a warning check keeps it out too');
  assert.equal(
    (await get(base, '/v1/health/service/multi-svc?passing=false')).json<HealthEntry[]>().map((entry) => entry.Service.ID),
    ['multi-1'],
    '?passing=false does not filter',
  );
});

api('deregistration removes the instance at once and a watcher sees it', async (context) => {
  const { base, client } = setup(context);
  for (const id of ['gone-1', 'gone-2']) {
    await client.register({ id, service: 'gone-svc', address: '127.0.0.1', port: 7003, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
    await client.passTtl(id);
  }
  const sets: string[][] = [];
  let notify: (() => void) | undefined;
  const watch = client.watch('gone-svc', (instances) => {
    sets.push(instances.map((instance) => instance.id));
    notify?.();
  });
  const nextSet = (count: number): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve) => {
        notify = () => sets.length >= count && resolve();
        notify();
      }),
      2_000,
      `watch update #${count}`,
    );
  try {
    await nextSet(1);
    assert.equal(sets[0], ['gone-1', 'gone-2']);
    await client.deregister('gone-1');
    assert.equal(Object.keys((await get(base, '/v1/agent/services')).json<Record<string, unknown>>()).includes('gone-1'), false);
    assert.equal(await passingIds(base, 'gone-svc'), ['gone-2']);
    await nextSet(2);
    assert.equal(sets[1], ['gone-2']);
  } finally {
    watch.stop();
  }
});

api('DeregisterCriticalServiceAfter removes a service whose check stays critical that long', async (context) => {
  const { base, registry } = setup(context);
  const from = registry.log.mark();
  const startedAt = performance.now();
  await registerTtl(base, 'reap-svc', 'reap-1', { Check: { TTL: '30s', DeregisterCriticalServiceAfter: '200ms' } });
  const reaped = await registry.log.next((event) => event.type === 'deregistered' && event.serviceId === 'reap-1', 2_000, 'the reaper', from);
  assert.is(reaped.type === 'deregistered' && reaped.reason, 'critical-timeout');
  assert.ok(performance.now() - startedAt >= 190, 'not before 200 ms of being critical');
  assert.equal((await get(base, '/v1/health/service/reap-svc')).json(), []);

  // The clock starts when the check turns critical: a passing check with a 1 ms limit stays...
  await registerTtl(base, 'reap-svc', 'reap-2', { Check: { TTL: '30s', Status: 'passing', DeregisterCriticalServiceAfter: '1ms' } });
  // A short fixed wait, only to show that something does NOT happen: 50 times the limit.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(await passingIds(base, 'reap-svc'), ['reap-2']);
  // ...and is reaped soon after it fails.
  const failedAt = registry.log.mark();
  assert.is((await put(base, '/v1/agent/check/fail/service:reap-2')).status, 200);
  await registry.log.next((event) => event.type === 'deregistered' && event.serviceId === 'reap-2', 2_000, 'the reaper after a failure', failedAt);
});

api('re-registering an ID replaces it, keeps its check status, and never moves the index back', async (context) => {
  const { base } = setup(context);
  await registerTtl(base, 'rereg-svc', 'rereg-1');
  await put(base, '/v1/agent/check/pass/service:rereg-1');
  const first = await get(base, '/v1/health/service/rereg-svc');

  await registerTtl(base, 'rereg-svc', 'rereg-1', { Port: 7100 });
  const second = await get(base, '/v1/health/service/rereg-svc?passing');
  assert.ok(second.index > first.index);
  assert.equal(
    second.json<HealthEntry[]>().map((entry) => [entry.Service.ID, entry.Service.Port]),
    [['rereg-1', 7100]],
  );

  await registerTtl(base, 'rereg-svc', 'rereg-1', { Port: 7100 });
  assert.is((await get(base, '/v1/health/service/rereg-svc')).index, second.index, 'an identical registration changes nothing');
});

api('field names match case-insensitively (and in snake_case), like Go and Consul decode them', async (context) => {
  const { base } = setup(context);
  const reply = await put(base, '/v1/agent/service/register', {
    name: 'lower-svc',
    id: 'lower-1',
    address: '127.0.0.1',
    port: 7004,
    tags: ['blue'],
    meta: { zone: 'a' },
    check: { ttl: '30s', status: 'passing', deregister_critical_service_after: '90s' },
  });
  assert.is(reply.status, 200, reply.text);
  const [entry] = (await get(base, '/v1/health/service/lower-svc?passing')).json<HealthEntry[]>();
  assert.equal([entry?.Service.ID, entry?.Service.Port, entry?.Service.Tags, entry?.Service.Meta], ['lower-1', 7004, ['blue'], { zone: 'a' }]);
  const checks = (await get(base, '/v1/agent/checks')).json<Record<string, { Definition: Record<string, string> }>>();
  assert.equal(checks['service:lower-1']?.Definition, { TTL: '30s', DeregisterCriticalServiceAfter: '1m30s' });
});

api('bad bodies and parameters are 400 with a message naming the field', async (context) => {
  const { base } = setup(context);
  const cases: Array<[string, unknown, string]> = [
    ['no name', { Port: 1 }, 'Missing service name'],
    ['port as text', { Name: 'bad-a', Port: '80' }, 'Port must be an integer'],
    ['tags not a list', { Name: 'bad-b', Tags: 'x' }, 'Tags must be an array of strings'],
    ['bad interval', { Name: 'bad-c', Check: { TCP: '127.0.0.1:1', Interval: 'abc' } }, 'Check.Interval: time: invalid duration "abc"'],
    ['interval without unit', { Name: 'bad-d', Check: { TCP: '127.0.0.1:1', Interval: '10' } }, 'Check.Interval: time: missing unit'],
    ['TCP without interval', { Name: 'bad-e', Check: { TCP: '127.0.0.1:1' } }, 'Check.Interval is required'],
    ['TCP not host:port', { Name: 'bad-f', Check: { TCP: 'localhost', Interval: '1s' } }, 'Check.TCP must be host:port'],
    ['bad TTL in a list', { Name: 'bad-g', Checks: [{ TTL: '1s' }, { TTL: '5 parsecs' }] }, 'Checks[1].TTL'],
    ['HTTP check', { Name: 'bad-h', Check: { HTTP: 'http://127.0.0.1/', Interval: '1s' } }, 'Check.HTTP: only TCP and TTL checks'],
    ['no check kind', { Name: 'bad-i', Check: { Notes: 'x' } }, 'Check: Must provide TTL or TCP and Interval'],
    ['bad status', { Name: 'bad-j', Check: { TTL: '1s', Status: 'green' } }, 'Check.Status'],
    ['reserved meta', { Name: 'bad-k', Meta: { 'consul-x': '1' } }, 'Invalid Service Meta'],
    ['wildcard address', { Name: 'bad-l', Address: '0.0.0.0' }, 'Invalid service address'],
    ['not JSON', '{"Name": ', 'Request decode failed: invalid JSON'],
    ['not an object', [1, 2], 'must be a JSON object'],
  ];
  for (const [label, body, fragment] of cases) {
    const reply = await put(base, '/v1/agent/service/register', body);
    assert.is(reply.status, 400, `${label}: status ${reply.status} ${reply.text}`);
    assert.match(reply.text, fragment, label);
  }
  const services = (await get(base, '/v1/agent/services')).json<Record<string, unknown>>();
  assert.equal(
    Object.keys(services).filter((id) => id.startsWith('bad-')),
    [],
    'nothing was registered',
  );

  const badIndex = await get(base, '/v1/health/service/x?index=abc');
  assert.equal([badIndex.status, badIndex.text.startsWith('Invalid index')], [400, true]);
  const badWait = await get(base, '/v1/health/service/x?index=1&wait=forever');
  assert.equal([badWait.status, badWait.text.startsWith('Invalid wait time')], [400, true]);
  await registerTtl(base, 'upd-svc', 'upd-1');
  const badUpdate = await put(base, '/v1/agent/check/update/service:upd-1', { Status: 'green' });
  assert.equal([badUpdate.status, badUpdate.text], [400, 'Invalid check status: "green"']);
});

api("unknown IDs and paths are 404 like Consul's; every reply carries the Consul headers", async (context) => {
  const { base } = setup(context);
  await put(base, '/v1/agent/service/register', { Name: 'tcp-only', Port: 1, Check: { TCP: '127.0.0.1:1', Interval: '10s' } });
  const replies: Array<[ConsulReply, number, string]> = [
    [await put(base, '/v1/agent/service/deregister/nope'), 404, 'Unknown service ID "nope"'],
    [await put(base, '/v1/agent/check/pass/service:nope'), 404, 'Unknown check ID "service:nope"'],
    [await put(base, '/v1/agent/check/update/service:nope', { Status: 'passing' }), 404, 'Unknown check ID'],
    [await get(base, '/v1/no/such/path'), 404, '404 page not found'],
    [await get(base, '/v1/agent/service/register'), 405, 'method GET not allowed'],
    [await put(base, '/v1/agent/check/pass/service:tcp-only'), 500, 'CheckID "service:tcp-only" does not have associated TTL'],
    [await get(base, '/v1/health/service/x?dc=dc9'), 500, 'No path to datacenter'],
  ];
  for (const [reply, status, fragment] of replies) {
    assert.is(reply.status, status, reply.text);
    assert.match(reply.text, fragment);
    assert.ok(reply.index >= 1, 'X-Consul-Index');
    assert.is(reply.headers.get('x-consul-knownleader'), 'true');
    assert.is(reply.headers.get('x-consul-lastcontact'), '0');
  }
});

api('catalog and agent listings use Consul shapes; ?tag filters', async (context) => {
  const { base } = setup(context);
  await registerTtl(base, 'cat-svc', 'cat-1', { Tags: ['green'], Meta: { version: '1' } });
  await registerTtl(base, 'cat-svc', 'cat-2', { Tags: ['blue'], Port: 7200 });

  const services = (await get(base, '/v1/catalog/services')).json<Record<string, string[]>>();
  assert.equal(services['cat-svc'], ['blue', 'green']);
  const catalog = (await get(base, '/v1/catalog/service/cat-svc?tag=green')).json<Array<Record<string, unknown>>>();
  assert.equal(
    catalog.map((entry) => [entry['ServiceID'], entry['ServicePort'], entry['ServiceMeta'], entry['Node']]),
    [['cat-1', 7000, { version: '1' }, 'lbx-test-node']],
  );
  const agentServices = (await get(base, '/v1/agent/services')).json<Record<string, { Service: string; Port: number }>>();
  assert.equal([agentServices['cat-2']?.Service, agentServices['cat-2']?.Port], ['cat-svc', 7200]);
  assert.equal(
    (await get(base, '/v1/health/service/cat-svc?tag=blue')).json<HealthEntry[]>().map((entry) => entry.Service.ID),
    ['cat-2'],
  );
});

api.run();

const closing = suite('embedded registry: close');

closing('close() answers pending blocking queries, then stops listening, promptly', async () => {
  const { registry, base } = await startTestRegistry();
  try {
    await registerTtl(base, 'close-svc', 'close-1');
    const now = await get(base, '/v1/health/service/close-svc');
    const pending = get(base, `/v1/health/service/close-svc?index=${now.index}&wait=5m`, 10_000);
    // Make sure the query reached the server and is waiting: a second request on another connection is answered.
    await get(base, '/v1/status/leader');
    await withTimeout(registry.close(), 1_000, 'close()');
    const reply = await withTimeout(pending, 1_000, 'the pending blocking query');
    assert.equal([reply.status, reply.index], [200, now.index]);
    const refused = await fetch(`${base}/v1/status/leader`).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.instance(refused, Error, 'nothing listens after close()');
  } finally {
    await registry.close();
  }
});

closing('a second registry on a port in use fails with an error naming the address', async () => {
  const { registry } = await startTestRegistry();
  try {
    const failure = await startTestRegistry(registry.port).then(
      async (second) => {
        await second.registry.close();
        return undefined;
      },
      (error: unknown) => error,
    );
    assert.instance(failure, LbxError);
    assert.is((failure as LbxError).code, 'runtime');
    assert.is((failure as LbxError).message, `embedded registry could not listen on 127.0.0.1:${registry.port} (EADDRINUSE)`);
  } finally {
    await registry.close();
  }
});

closing.run();
