// The registry adapter (createConsulRegistryClient) against the embedded registry: mapping, errors, watches, restarts.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LbxError } from '../../src/core/lbx-error.js';
import { createConsulRegistryClient } from '../../src/runtime/registry/consul-registry-client.js';
import type { RegistryClient, ServiceInstance } from '../../src/runtime/registry/registry-contract.js';
import { consulRequest, freePort, startTestRegistry, TEST_REGISTRY_TOKEN, type TestRegistry } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

/** Collects a watch's emissions and lets a test wait for the nth one. */
class WatchRecorder {
  readonly sets: string[][] = [];
  readonly errors: Error[] = [];
  private onUpdate: (() => void) | undefined;

  readonly change = (instances: ServiceInstance[]): void => {
    this.sets.push(instances.map((instance) => instance.id));
    this.onUpdate?.();
  };

  readonly error = (error: Error): void => {
    this.errors.push(error);
    this.onUpdate?.();
  };

  /** Resolves once `done()` holds, re-checked on every emission; fails after `ms`. */
  until(done: () => boolean, ms: number, what: string): Promise<void> {
    return withTimeout(
      new Promise<void>((resolve) => {
        this.onUpdate = () => {
          if (done()) resolve();
        };
        this.onUpdate();
      }),
      ms,
      what,
    );
  }

  last(): string[] | undefined {
    return this.sets.at(-1);
  }
}

/** The error a promise rejects with, or undefined if it fulfils. */
const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

interface Context {
  registry?: TestRegistry;
  client?: RegistryClient;
}

const adapter = suite<Context>('registry client against the embedded registry', {});

adapter.before(async (context) => {
  context.registry = await startTestRegistry();
  context.client = createConsulRegistryClient({ address: context.registry.registry.address, token: TEST_REGISTRY_TOKEN });
});

adapter.after(async (context) => {
  context.client?.close();
  await context.registry?.registry.close();
});

const setup = (context: Context): { client: RegistryClient; registry: TestRegistry } => {
  if (context.registry === undefined || context.client === undefined) throw new Error('registry not started');
  return { client: context.client, registry: context.registry };
};

adapter('register maps an instance to a Consul service with a TCP check on its own address', async (context) => {
  const { client, registry } = setup(context);
  await client.register({ id: 'map-1', service: 'map-svc', address: '127.0.0.1', port: 7301, meta: { role: 'backend' } }, { kind: 'tcp', intervalMs: 1_500, timeoutMs: 250 });
  const checks = (await consulRequest(registry.base, 'GET', '/v1/agent/checks')).json<Record<string, { Definition: Record<string, string>; ServiceID: string }>>();
  assert.equal(checks['service:map-1']?.Definition, { TCP: '127.0.0.1:7301', Interval: '1.5s', Timeout: '250ms' });
  const services = (await consulRequest(registry.base, 'GET', '/v1/agent/services')).json<
    Record<string, { Service: string; Address: string; Port: number; Meta: Record<string, string> }>
  >();
  assert.equal(services['map-1'], { ...services['map-1'], Service: 'map-svc', Address: '127.0.0.1', Port: 7301, Meta: { role: 'backend' } });
});

adapter('resolve returns passing instances only, with address, port and meta', async (context) => {
  const { client } = setup(context);
  await client.register({ id: 'res-2', service: 'res-svc', address: '127.0.0.2', port: 7302, meta: { zone: 'b' } }, { kind: 'ttl', ttlMs: 30_000 });
  await client.register({ id: 'res-1', service: 'res-svc', address: '127.0.0.1', port: 7303, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
  assert.equal(await client.resolve('res-svc'), [], 'TTL checks start critical');
  await client.passTtl('res-2');
  assert.equal(await client.resolve('res-svc'), [{ id: 'res-2', service: 'res-svc', address: '127.0.0.2', port: 7302, meta: { zone: 'b' } }]);
  await client.passTtl('res-1');
  assert.equal(
    (await client.resolve('res-svc')).map((instance) => instance.id),
    ['res-1', 'res-2'],
  );
});

adapter('an instance registered without an address resolves to the node address, as in Consul', async (context) => {
  const { client, registry } = setup(context);
  await consulRequest(registry.base, 'PUT', '/v1/agent/service/register', { Name: 'noaddr-svc', ID: 'noaddr-1', Port: 7304, Check: { TTL: '30s', Status: 'passing' } });
  assert.equal(await client.resolve('noaddr-svc'), [{ id: 'noaddr-1', service: 'noaddr-svc', address: '127.0.0.1', port: 7304, meta: {} }]);
});

adapter('deregister is idempotent: an unknown ID is not an error', async (context) => {
  const { client } = setup(context);
  await client.register({ id: 'dup-1', service: 'dup-svc', address: '127.0.0.1', port: 7305, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
  await client.deregister('dup-1');
  await client.deregister('dup-1');
  await client.deregister('never-registered');
  assert.equal(await client.resolve('dup-svc'), []);
});

adapter('a TTL registration with deregisterCriticalAfterMs is reaped when it is never passed', async (context) => {
  const { client, registry } = setup(context);
  const from = registry.log.mark();
  await client.register({ id: 'reap-c1', service: 'reap-c', address: '127.0.0.1', port: 7306, meta: {} }, { kind: 'ttl', ttlMs: 60_000 }, { deregisterCriticalAfterMs: 150 });
  const event = await registry.log.next((candidate) => candidate.type === 'deregistered' && candidate.serviceId === 'reap-c1', 2_000, 'the reaper', from);
  assert.is(event.type === 'deregistered' && event.reason, 'critical-timeout');
});

adapter('invalid health parameters are usage errors before any request', async (context) => {
  const { client } = setup(context);
  const error = await rejectionOf(client.register({ id: 'bad-1', service: 'bad', address: '127.0.0.1', port: 1, meta: {} }, { kind: 'tcp', intervalMs: 0 }));
  assert.instance(error, LbxError);
  assert.is((error as LbxError).code, 'usage');
  assert.match((error as LbxError).message, 'intervalMs must be a positive number');
});

adapter('a registry refusal becomes an LbxError carrying the registry message', async (context) => {
  const { client } = setup(context);
  const error = await rejectionOf(client.register({ id: 'wild-1', service: 'wild', address: '0.0.0.0', port: 1, meta: {} }, { kind: 'ttl', ttlMs: 1_000 }));
  assert.instance(error, LbxError);
  assert.match((error as LbxError).message, /^registry at 127\.0\.0\.1:\d+ answered HTTP 400 while registering wild instance wild-1: Invalid service address/);
});

adapter('leader() returns the registry address', async (context) => {
  const { client, registry } = setup(context);
  assert.is(await client.leader(), registry.registry.address);
});

adapter('watch emits the initial set (even empty), then each different set; stop() ends it', async (context) => {
  const { client } = setup(context);
  const recorder = new WatchRecorder();
  const witness = new WatchRecorder();
  const watch = client.watch('watch-svc', recorder.change, recorder.error);
  const witnessWatch = client.watch('watch-svc', witness.change, witness.error);
  try {
    await recorder.until(() => recorder.sets.length === 1, 2_000, 'the initial set');
    assert.equal(recorder.sets, [[]]);

    await client.register({ id: 'w-1', service: 'watch-svc', address: '127.0.0.1', port: 7307, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
    await client.passTtl('w-1');
    await recorder.until(() => recorder.last()?.length === 1, 2_000, 'w-1 passing');
    assert.equal(recorder.last(), ['w-1']);

    watch.stop();
    const stoppedAt = recorder.sets.length;
    // The witness blocks on the same index; once it sees the next change, the stopped watch would have too.
    await client.deregister('w-1');
    await witness.until(() => witness.last()?.length === 0, 2_000, 'the witness seeing w-1 leave');
    assert.is(recorder.sets.length, stoppedAt, 'no emission after stop()');
    assert.equal(recorder.errors, [], 'stopping is not an error');
  } finally {
    watch.stop();
    witnessWatch.stop();
  }
});

adapter.run();

const outages = suite('registry client: outages');

outages('an unreachable registry is an LbxError naming the address and the cause', async () => {
  const port = await freePort();
  const client = createConsulRegistryClient({ address: `127.0.0.1:${port}` });
  try {
    const error = await rejectionOf(client.resolve('anything'));
    assert.instance(error, LbxError);
    assert.is((error as LbxError).code, 'runtime');
    assert.is((error as LbxError).message, `registry at 127.0.0.1:${port} unreachable (ECONNREFUSED) while resolving anything`);
  } finally {
    client.close();
  }
});

outages('a registry that never answers times out with an LbxError naming the address and the time', async () => {
  const sockets = new Set<Socket>();
  const silent = http.createServer(() => undefined);
  silent.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const client = createConsulRegistryClient({ address, requestTimeoutMs: 200 });
  try {
    const error = await withTimeout(rejectionOf(client.leader()), 2_000, 'the request timeout');
    assert.instance(error, LbxError);
    assert.is((error as LbxError).message, `registry at ${address} did not answer within 200 ms while asking for the leader`);
  } finally {
    client.close();
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  }
});

outages('the token is sent as X-Consul-Token', async () => {
  const tokens: Array<string | undefined> = [];
  const server = http.createServer((request, response) => {
    tokens.push(request.headers['x-consul-token'] as string | undefined);
    response.setHeader('Content-Type', 'application/json');
    response.end('"10.0.0.1:8300"');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = createConsulRegistryClient({ address: `127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'secret-token' });
  try {
    assert.is(await client.leader(), '10.0.0.1:8300');
    assert.equal(tokens, ['secret-token']);
  } finally {
    client.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

outages('a watch survives the registry restarting on the same port, and passTtl re-registers what the registry forgot', async () => {
  let current = await startTestRegistry();
  const address = current.registry.address;
  const client = createConsulRegistryClient({ address, watchRetryMaxMs: 200, token: TEST_REGISTRY_TOKEN });
  const recorder = new WatchRecorder();
  const watch = client.watch('restart-svc', recorder.change, recorder.error);
  try {
    await client.register({ id: 'r-1', service: 'restart-svc', address: '127.0.0.1', port: 7308, meta: { run: '1' } }, { kind: 'ttl', ttlMs: 30_000 });
    await client.passTtl('r-1');
    await recorder.until(() => recorder.last()?.[0] === 'r-1', 2_000, 'r-1 in the first registry');

    await current.registry.close();
    await recorder.until(() => recorder.errors.length >= 1, 2_000, 'the watch noticing the outage');
    assert.instance(recorder.errors[0], LbxError);
    assert.match(recorder.errors[0]?.message ?? '', `registry at ${address} unreachable`);

    current = await startTestRegistry(current.registry.port);
    // The new registry starts empty with a lower index: the watch must accept it rather than wait for the old index.
    await recorder.until(() => recorder.last()?.length === 0, 3_000, 'the empty set of the restarted registry');

    await client.passTtl('r-1'); // 404 from the new registry: the client registers r-1 again, then passes it
    await recorder.until(() => recorder.last()?.[0] === 'r-1', 2_000, 'r-1 in the restarted registry');
    assert.equal(await client.resolve('restart-svc'), [{ id: 'r-1', service: 'restart-svc', address: '127.0.0.1', port: 7308, meta: { run: '1' } }]);
  } finally {
    watch.stop();
    client.close();
    await current.registry.close();
  }
});

outages.run();
