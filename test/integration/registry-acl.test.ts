// A running cluster's membership cannot be changed by any local process: its registry wants the cluster token for writes,
// the LB admits a registry entry only once it answers as an lbx backend at a valid address, and a "backend" that answers
// UNIMPLEMENTED is retried elsewhere and ejected. The registry log shows check lists readably.
import path from 'node:path';

import { credentials, Server, ServerCredentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { tokenInterceptor } from '../../src/runtime/grpc/token-interceptor.js';
import { readTokenFile } from '../../src/runtime/cluster/cluster-token.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { LoadBalancerClient } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { consulRequest, openTcpTarget, type HealthEntry } from '../helpers/registry-kit.js';

interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number> };
}

const BASE_PORT = await freeBasePort();
const TEST_TIMEOUT_MS = 90_000;
const CALL_TIMEOUT_MS = 3_000;

const sandbox = createSandbox('registry-acl');
const cluster = defineCluster<unknown, RunJson>(sandbox, 'acl', BASE_PORT);
const test = suite('registry ACL and LB admission');

test.after(() => {
  killLeftovers(sandbox);
  sandbox.dispose();
});

const clusterToken = (): string => readTokenFile(path.join(sandbox.home, cluster.name, 'control.token'));
const entry = (id: string, address: string, port: number): Record<string, unknown> => ({
  Name: 'lbx-backend',
  ID: id,
  Address: address,
  Port: port,
  Check: { TTL: '60s', Status: 'passing' },
});
const memberAddresses = async (): Promise<string[]> => (await cluster.lbStats()).backends.map((backend) => backend.address).sort();

/** A gRPC server with no services: every call it gets is answered UNIMPLEMENTED, as any non-lbx gRPC server would. */
async function startForeignGrpcServer(): Promise<{ address: string; stop(): Promise<void> }> {
  const server = new Server();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

test('writes to the registry need the cluster token; impostors with it are still not admitted by the LB; UNIMPLEMENTED is retried and ejected', () =>
  withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
    const base = cluster.registryBase;
    const backends = [cluster.backend(0).address, cluster.backend(1).address].sort();

    // 1. Anonymous writes are refused, anonymous health reads are not.
    const anonymous = await consulRequest(base, 'PUT', '/v1/agent/service/register', entry('intruder', '127.0.0.1', 13_601), CALL_TIMEOUT_MS, null);
    assert.is(anonymous.status, 403, anonymous.text);
    assert.match(anonymous.text, /cluster token/);
    const deregister = await consulRequest(base, 'PUT', `/v1/agent/service/deregister/backend-${cluster.backend(0).port}`, undefined, CALL_TIMEOUT_MS, null);
    assert.is(deregister.status, 403, 'nobody without the token can take a backend out either');
    const listed = (await consulRequest(base, 'GET', '/v1/health/service/lbx-backend?passing', undefined, CALL_TIMEOUT_MS, null)).json<HealthEntry[]>();
    assert.is(listed.length, 2, 'health reads stay anonymous');

    // 2. With the token, entries that are no lbx backend pass the registry's check but never join the LB.
    const token = clusterToken();
    const tcpOnly = await openTcpTarget();
    const foreign = await startForeignGrpcServer();
    try {
      for (const [id, host, port] of [
        ['bad-host', 'bad_host', 13_601],
        ['tcp-only', '127.0.0.1', tcpOnly.port],
        ['foreign-grpc', '127.0.0.1', Number(foreign.address.split(':')[1])],
      ] as const) {
        const reply = await consulRequest(base, 'PUT', '/v1/agent/service/register', entry(id, host, port), CALL_TIMEOUT_MS, token);
        assert.is(reply.status, 200, reply.text);
      }
      await eventually(() => ['bad-host', 'tcp-only', 'foreign-grpc'].every((id) => cluster.log('lb').includes(`registry lists ${id} at`)), 15_000);
      const lbLog = cluster.log('lb');
      assert.match(lbLog, /registry lists bad-host at bad_host:13601, not admitted[^\n]*is not a host:port address/);
      assert.match(lbLog, /registry lists foreign-grpc at [^\n]*UNIMPLEMENTED/);
      assert.equal(await memberAddresses(), backends, 'only the two real backends are members');

      // 3. A "backend" that answers UNIMPLEMENTED, registered with the token (a TCP dial admits it): tasks it gets go elsewhere.
      const lb = new LoadBalancerClient(cluster.lbAddress, credentials.createInsecure(), { interceptors: [tokenInterceptor(token)] });
      try {
        await callUnary(lb.registerServer.bind(lb), { backendId: 'foreign', address: foreign.address, weight: 1, speed: 1 }, CALL_TIMEOUT_MS);
      } finally {
        lb.close();
      }
      assert.equal(await memberAddresses(), [...backends, foreign.address].sort());
      const run = await cluster.send(['--simple', '300', '--concurrency', '8']);
      assert.equal([run.summary.ok, run.summary.failed], [300, 0], `every task served: ${JSON.stringify(run.summary.failuresByReason)}`);
      assert.ok(run.summary.retried > 0, 'some tasks met the foreign server and were retried');
      const foreignStats = (await cluster.lbStats()).backends.find((backend) => backend.address === foreign.address);
      assert.ok((foreignStats?.ejections ?? 0) >= 1, `ejected after its probe failed: ${JSON.stringify(foreignStats)}`);
    } finally {
      await tcpOnly.close();
      await foreign.stop();
    }

    // 4. Item 17: the registry log shows a registration's checks as JSON.
    const registryLog = cluster.log('registry');
    assert.not.match(registryLog, /\[object Object\]/);
    assert.match(registryLog, /registered [^\n]*checks=\[\{"checkId":"service:backend-\d+","status":"critical"\}\]/);
  }));

test.run();
