// A local client that reports fake failures on its own picks (PickDone with UNAVAILABLE) ejects no healthy backend:
// the LB probes each reported backend itself, and the next send still uses all four.
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LoadBalancerClient, type GetServerReply, type PickDone } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';

interface RunJson {
  summary: { sent: number; ok: number; failed: number; backends: Array<{ address: string; ok: number }> };
}

const BASE_PORT = await freeBasePort();
const TEST_TIMEOUT_MS = 90_000;
const FAKE_PICKS = 60;

const sandbox = createSandbox('hostile-picks');
const cluster = defineCluster<unknown, RunJson>(sandbox, 'hostile', BASE_PORT);
const test = suite('hostile PickDone reports');

test.after(() => {
  killLeftovers(sandbox);
  sandbox.dispose();
});

/** Picks `count` times on one stream, each request reporting every earlier pick as failed with UNAVAILABLE. */
async function pickAndBlame(count: number): Promise<Map<string, number>> {
  const client = new LoadBalancerClient(cluster.lbAddress, credentials.createInsecure());
  const stream = client.getServerStream();
  const blamed = new Map<string, number>();
  let done: PickDone[] = [];
  let next = 1;
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        stream.on('error', reject);
        stream.on('data', (reply: GetServerReply) => {
          if (reply.statusCode === GrpcStatus.OK && reply.server !== undefined) {
            blamed.set(reply.server.address, (blamed.get(reply.server.address) ?? 0) + 1);
            done.push({ requestId: reply.requestId, latencyMs: 1, ok: false, statusCode: GrpcStatus.UNAVAILABLE });
          }
          if (next > count) return resolve();
          stream.write({ clientId: 'hostile', taskType: 1, key: '', exclude: [], requestId: next++, done });
          done = [];
        });
        stream.write({ clientId: 'hostile', taskType: 1, key: '', exclude: [], requestId: next++, done: [] });
      }),
      20_000,
      'the hostile picks',
    );
    // The last reports ride on one more pick.
    stream.write({ clientId: 'hostile', taskType: 1, key: '', exclude: [], requestId: next++, done });
  } finally {
    stream.end();
    client.close();
  }
  return blamed;
}

test('fake UNAVAILABLE reports from one client trigger probes, not ejections; the next send uses every backend', () =>
  withCluster(sandbox, cluster, ['--backends', '4'], TEST_TIMEOUT_MS, async () => {
    const blamed = await pickAndBlame(FAKE_PICKS);
    assert.is(blamed.size, 4, `the hostile client was given all four backends: ${JSON.stringify([...blamed])}`);
    // Each blamed backend is probed once its run of reports reaches the threshold; every probe passes.
    const passed = (): number => (cluster.log('lb').match(/probe-passed /g) ?? []).length;
    assert.ok(await eventually(() => passed() >= 4, 15_000), `a passed probe per backend; lb log:\n${cluster.log('lb')}`);
    const stats = await cluster.lbStats();
    assert.equal(
      stats.backends.map((backend) => `${backend.address} ejections=${backend.ejections}`),
      stats.backends.map((backend) => `${backend.address} ejections=0`),
      'no backend was ejected',
    );
    assert.ok(
      stats.backends.every((backend) => backend.failuresReported > 0),
      'the reports were counted, as reports',
    );
    const run = await cluster.send(['--simple', '200', '--concurrency', '8']);
    assert.is(run.summary.failed, 0);
    assert.is(run.summary.backends.filter((backend) => backend.ok > 0).length, 4, `every backend served: ${JSON.stringify(run.summary.backends)}`);
  }));

test.run();
