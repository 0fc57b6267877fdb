// The registry adapter across registry restarts: the watch's index reset, re-registration, and the ACL token from the environment.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LbxError } from '../../src/core/lbx-error.js';
import { createConsulRegistryClient } from '../../src/runtime/registry/consul-registry-client.js';
import type { KeeperEvent, ServiceInstance } from '../../src/runtime/registry/registry-contract.js';
import { consulRequest, freePort, startTestRegistry, TEST_REGISTRY_TOKEN } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

/**
 * A stand-in for a real Consul agent's health endpoint, with Consul's blocking rule: a query
 * whose index is at or above the current one is held until `wait` ends. (The embedded
 * registry answers an index from the future at once, which would hide the bug tested here.)
 */
async function startBlockingConsul(port: number, index: number, ids: string[]): Promise<{ queries: string[]; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const queries: string[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    queries.push(url.searchParams.get('index') ?? '');
    const answer = (): void => {
      response.setHeader('Content-Type', 'application/json');
      response.setHeader('X-Consul-Index', String(index));
      response.end(JSON.stringify(ids.map((id) => ({ Node: { Address: '127.0.0.1' }, Service: { ID: id, Service: 'svc', Address: '127.0.0.1', Port: 1, Meta: {} } }))));
    };
    const asked = Number(url.searchParams.get('index') ?? 0);
    if (asked > 0 && asked >= index) setTimeout(answer, 10_000).unref();
    else answer();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    queries,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const watchSuite = suite('registry watch across a restart');

watchSuite('after an error the watch asks with index 0, so a registry back at a lower index answers at once', async () => {
  const port = await freePort();
  let consul = await startBlockingConsul(port, 50, ['old']);
  const client = createConsulRegistryClient({ address: `127.0.0.1:${port}`, watchWaitMs: 10_000, watchRetryMaxMs: 100 });
  const sets: string[][] = [];
  let errors = 0;
  let onSet: (() => void) | undefined;
  const watch = client.watch(
    'svc',
    (instances: ServiceInstance[]) => {
      sets.push(instances.map((instance) => instance.id));
      onSet?.();
    },
    () => {
      errors += 1;
    },
  );
  const until = (predicate: () => boolean, ms: number, what: string): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve) => {
        onSet = () => predicate() && resolve();
        onSet();
      }),
      ms,
      what,
    );
  try {
    await until(() => sets.length === 1, 2_000, 'the first set');
    // Bounded: the watch's next query (index 50) is held by this server.
    await withTimeout(
      (async () => {
        while (!consul.queries.includes('50')) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      2_000,
      'the watch blocking at index 50',
    );
    await consul.close();
    consul = await startBlockingConsul(port, 3, ['new']);
    await until(() => sets.at(-1)?.[0] === 'new', 2_000, "the restarted registry's set (the watch must not wait 10 s at index 50)");
    assert.ok(errors >= 1, 'the outage was reported');
    assert.is(consul.queries[0], '0', 'the first query to the restarted registry asks for the current set');
  } finally {
    watch.stop();
    client.close();
    await consul.close();
  }
});

watchSuite.run();

const keep = suite('re-registering with a registry that lost us');

keep('ensureRegistered finds its instance, re-registers it (same id, meta and check) after a restart, and ignores ids it does not own', async () => {
  let current = await startTestRegistry();
  const address = current.registry.address;
  const client = createConsulRegistryClient({ address, requestTimeoutMs: 1_000, token: TEST_REGISTRY_TOKEN });
  const instance = { id: 'keep-1', service: 'keep-svc', address: '127.0.0.1', port: 7401, meta: { role: 'backend', weight: '2', speed: '0.5' } };
  try {
    await client.register(instance, { kind: 'ttl', ttlMs: 30_000 });
    assert.is(await client.ensureRegistered('keep-1'), 'present');
    assert.is(await client.ensureRegistered('someone-else'), 'not-ours');

    await current.registry.close();
    const error = await client.ensureRegistered('keep-1').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    assert.instance(error, LbxError);
    assert.match((error as LbxError).message, `registry at ${address} unreachable`);

    current = await startTestRegistry(current.registry.port);
    assert.is((await consulRequest(current.base, 'GET', '/v1/agent/service/keep-1')).status, 404, 'the restarted registry is empty');
    assert.is(await client.ensureRegistered('keep-1'), 're-registered');
    const service = (await consulRequest(current.base, 'GET', '/v1/agent/service/keep-1')).json<{ ID: string; Meta: Record<string, string>; Port: number }>();
    assert.equal([service.ID, service.Port, service.Meta], ['keep-1', 7401, instance.meta]);
    const checks = (await consulRequest(current.base, 'GET', '/v1/agent/checks')).json<Record<string, { ServiceID: string }>>();
    assert.equal(
      Object.values(checks).map((check) => check.ServiceID),
      ['keep-1'],
      'the same check came back with it',
    );
    assert.is(await client.ensureRegistered('keep-1'), 'present');

    await client.deregister('keep-1');
    assert.is(await client.ensureRegistered('keep-1'), 'not-ours', 'a deregistered instance stays gone');
  } finally {
    client.close();
    await current.registry.close();
  }
});

keep('keepRegistered warns once per outage, re-registers once the registry is back, and does nothing after stop()', async () => {
  let current = await startTestRegistry();
  const client = createConsulRegistryClient({ address: current.registry.address, requestTimeoutMs: 500, token: TEST_REGISTRY_TOKEN });
  const events: KeeperEvent[] = [];
  let onEvent: (() => void) | undefined;
  const until = (predicate: () => boolean, ms: number, what: string): Promise<void> =>
    withTimeout(
      new Promise<void>((resolve) => {
        onEvent = () => predicate() && resolve();
        onEvent();
      }),
      ms,
      what,
    );
  const count = (type: KeeperEvent['type']): number => events.filter((event) => event.type === type).length;
  await client.register({ id: 'kept', service: 'kept-svc', address: '127.0.0.1', port: 7402, meta: {} }, { kind: 'ttl', ttlMs: 30_000 });
  const keeper = client.keepRegistered('kept', 20, (event) => {
    events.push(event);
    onEvent?.();
  });
  try {
    await current.registry.close();
    await until(() => count('registry-unreachable') === 1, 2_000, 'the outage warning');
    current = await startTestRegistry(current.registry.port);
    await until(() => count('re-registered') === 1, 2_000, 'the re-registration');
    assert.is(count('registry-unreachable'), 1, `one warning for an outage that spanned several checks: ${JSON.stringify(events)}`);
    assert.is((await consulRequest(current.base, 'GET', '/v1/agent/service/kept')).status, 200);

    await keeper.stop();
    await client.deregister('kept');
    await current.registry.close();
    current = await startTestRegistry(current.registry.port);
    // Ten check intervals: a keeper still running would have registered 'kept' again by now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is((await consulRequest(current.base, 'GET', '/v1/agent/service/kept')).status, 404);
    assert.is(count('re-registered'), 1);
  } finally {
    await keeper.stop();
    client.close();
    await current.registry.close();
  }
});

keep.run();

const token = suite('ACL token');

token('without a token option the client sends $CONSUL_HTTP_TOKEN as X-Consul-Token; an explicit token wins', async () => {
  const seen: Array<string | undefined> = [];
  const server = http.createServer((request, response) => {
    seen.push(request.headers['x-consul-token'] as string | undefined);
    response.setHeader('Content-Type', 'application/json');
    response.end('"127.0.0.1:8300"');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const saved = process.env['CONSUL_HTTP_TOKEN'];
  try {
    process.env['CONSUL_HTTP_TOKEN'] = 'from-env';
    const fromEnv = createConsulRegistryClient({ address });
    const explicit = createConsulRegistryClient({ address, token: 'explicit' });
    delete process.env['CONSUL_HTTP_TOKEN'];
    const none = createConsulRegistryClient({ address });
    try {
      await fromEnv.leader();
      await explicit.leader();
      await none.leader();
      await fromEnv.register({ id: 'x', service: 's', address: '127.0.0.1', port: 1, meta: {} }, { kind: 'ttl', ttlMs: 1_000 }).catch(() => undefined);
      await fromEnv.ensureRegistered('x').catch(() => undefined);
    } finally {
      for (const client of [fromEnv, explicit, none]) client.close();
    }
    assert.equal(seen, ['from-env', 'explicit', undefined, 'from-env', 'from-env']);
  } finally {
    if (saved === undefined) delete process.env['CONSUL_HTTP_TOKEN'];
    else process.env['CONSUL_HTTP_TOKEN'] = saved;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

token.run();
