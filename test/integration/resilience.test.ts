// Crash anything, lose nothing: sends that run across an LB crash (look-aside and proxy), a registry crash, and a
// graceful removal end with no failed request. Each test has its own cluster (name and base port) and tears it down.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { consulRequest, type HealthEntry } from '../helpers/registry-kit.js';
import { defineCluster as defineTestCluster, withCluster as withTestCluster, type TestCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';

/** This file's ports: a free range with room for slots 0–19, one layout per test, PORT_STEP apart. */
const BASE_PORT = await freeBasePort({ span: 2_400 });
const PORT_STEP = 110;
const TEST_TIMEOUT_MS = 60_000;
/** Long enough (about 4 s on 2 cores) that a crash early in the run lands well inside it. */
const LONG_SEND = ['--heavy', '250', '--concurrency', '8'];
/** Picks the LB must have made before the crash, so the run is under way. */
const PICKS_BEFORE_CRASH = 30;
/** Many quick tasks (about 5 s here): a removal meets picks made just before the LB heard of it. */
const BUSY_SEND = ['--simple', '20000', '--concurrency', '16'];

interface Component {
  name: string;
  role: string;
  address: string;
  pid: number;
  state: string;
}
interface StatusJson {
  components: Component[];
}
interface RunJson {
  lbWaits: number;
  summary: {
    sent: number;
    ok: number;
    failed: number;
    retried: number;
    failuresByReason: Record<string, number>;
    attemptFailuresByReason: Record<string, number>;
    backends: Array<{ address: string; ok: number }>;
  };
}

const sandbox = createSandbox('resilience');
const resilience = suite('resilience: sends across LB and registry crashes and a graceful removal');

resilience.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

type Cluster = TestCluster<StatusJson, RunJson>;

const defineCluster = (name: string, slot: number): Cluster => defineTestCluster<StatusJson, RunJson>(sandbox, name, BASE_PORT + slot * PORT_STEP);
const withCluster = (cluster: Cluster, upArgs: readonly string[], body: () => Promise<void>): Promise<void> => withTestCluster(sandbox, cluster, upArgs, TEST_TIMEOUT_MS, body);

const componentOf = (status: StatusJson, name: string): Component => {
  const found = status.components.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no component ${name} in status: ${status.components.map((entry) => entry.name).join(', ')}`);
  return found;
};

/** Resolves once the LB has made enough picks that a send is under way; fails the test otherwise. */
async function untilSendUnderWay(cluster: Cluster, picks = PICKS_BEFORE_CRASH): Promise<void> {
  const isUnderWay = await eventually(async () => Number((await cluster.lbStats().catch(() => undefined))?.picks ?? 0) >= picks, 15_000);
  assert.ok(isUnderWay, `the send did not get ${picks} picks from the LB`);
}

/** SIGKILLs a component (as a crash would) and waits until the supervisor reports a new process for it, ready. */
async function crashAndAwaitRestart(cluster: Cluster, name: string): Promise<{ before: number; after: number }> {
  const before = componentOf(await cluster.status(), name).pid;
  process.kill(before, 'SIGKILL');
  let after = before;
  const isBack = await eventually(async () => {
    const now = componentOf(await cluster.status(), name);
    after = now.pid;
    return now.pid !== before && now.state === 'ready';
  }, 20_000);
  assert.ok(isBack, `the supervisor did not restart the ${name} (pid ${before}) within 20 s: this test needs the supervisor to restart crashed ${name}s`);
  return { before, after };
}

const assertNothingLost = (run: RunJson, planned: number, what: string): void => {
  assert.equal(run.summary.failed, 0, `${what}: ${run.summary.failed} failed ${JSON.stringify(run.summary.failuresByReason)}`);
  assert.equal([run.summary.sent, run.summary.ok], [planned, planned], `${what}: every request ended ok`);
};

resilience('look-aside: a send across an LB SIGKILL waits for the restarted LB and loses nothing; the new LB has the weights from the registry', async () => {
  const cluster = defineCluster('lb-crash', 0);
  await withCluster(cluster, ['--backends', '3', '--weights', '1,2,3', '--policy', 'wrr'], async () => {
    const sending = cluster.send(LONG_SEND);
    await untilSendUnderWay(cluster);
    await crashAndAwaitRestart(cluster, 'lb');
    const run = await sending;
    assertNothingLost(run, 250, 'send across the LB crash');
    assert.ok(run.lbWaits > 0, 'requests waited for the LB: the crash fell inside the run');

    const stats = await cluster.lbStats();
    assert.equal(
      stats.backends.map((backend) => [backend.address, backend.state, backend.weight]),
      [1, 2, 3].map((weight, index) => [`127.0.0.1:${cluster.backend(index).port}`, 'serving', weight]),
      'the restarted LB serves every backend with its own weight',
    );
  });
});

resilience('proxy mode: a send across an LB SIGKILL waits for the restarted LB and loses nothing', async () => {
  const cluster = defineCluster('proxy-crash', 1);
  await withCluster(cluster, ['--backends', '3', '--mode', 'proxy'], async () => {
    const sending = cluster.send(LONG_SEND);
    await untilSendUnderWay(cluster);
    await crashAndAwaitRestart(cluster, 'lb');
    const run = await sending;
    assertNothingLost(run, 250, 'send through the proxy across its crash');
    assert.ok(run.lbWaits > 0, 'requests waited for the LB: the crash fell inside the run');
  });
});

resilience('a registry SIGKILLed mid-send: nothing is lost, every backend and the LB register again, once each', async () => {
  const cluster = defineCluster('registry-crash', 2);
  await withCluster(cluster, ['--backends', '3', '--weights', '1,2,3'], async () => {
    const sending = cluster.send(LONG_SEND);
    await untilSendUnderWay(cluster);
    await crashAndAwaitRestart(cluster, 'registry');

    // The restarted registry starts empty; within a check interval or two everyone is back, with their traits.
    let passing: HealthEntry[] = [];
    const isBack = await eventually(async () => {
      const reply = await consulRequest(cluster.registryBase, 'GET', '/v1/health/service/lbx-backend?passing').catch(() => undefined);
      passing = reply?.status === 200 ? reply.json<HealthEntry[]>() : [];
      return passing.length === 3;
    }, 10_000);
    assert.ok(isBack, `3 backends passing in the restarted registry; found ${JSON.stringify(passing.map((entry) => entry.Service.ID))}`);
    assert.equal(
      passing.map((entry) => [entry.Service.Port, entry.Service.Meta]).sort(),
      [1, 2, 3].map((weight, index) => [cluster.backend(index).port, { role: 'backend', weight: String(weight), speed: '1' }]),
    );
    assert.ok(
      await eventually(async () => (await consulRequest(cluster.registryBase, 'GET', '/v1/health/service/lbx-lb?passing')).json<HealthEntry[]>().length === 1, 10_000),
      'the LB is passing in the restarted registry',
    );

    const run = await sending;
    assertNothingLost(run, 250, 'send across the registry crash');
    for (let index = 0; index < 3; index += 1) {
      const lines = cluster.log(`backend-${cluster.backend(index).port}`).split('\n');
      assert.is(lines.filter((line) => line.includes('the registry had lost this backend')).length, 1, `backend ${index + 1} registered again once`);
      // A registry back within one check interval is never seen down: at most one warning, never one per check.
      assert.ok(lines.filter((line) => line.includes('retrying quietly')).length <= 1, `backend ${index + 1} warned at most once about the outage`);
    }
    assert.is(
      cluster
        .log('lb')
        .split('\n')
        .filter((line) => line.includes('the registry had lost this LB')).length,
      1,
      'the LB registered again once',
    );
    const stats = await cluster.lbStats();
    assert.equal(
      stats.backends.map((backend) => backend.state),
      ['serving', 'serving', 'serving'],
      'the LB kept every backend through the registry restart',
    );
  });
});

resilience('a backend removed gracefully mid-send: no request fails and no attempt does', async () => {
  const cluster = defineCluster('graceful', 3);
  await withCluster(cluster, ['--backends', '3'], async () => {
    const sending = cluster.send(BUSY_SEND);
    await untilSendUnderWay(cluster, 2_000);
    const removed = await cluster.run(['rm', String(cluster.backend(2).port)]);
    assert.equal(removed.exitCode, 0, removed.stderr);
    const run = await sending;
    assertNothingLost(run, 20_000, 'send across the removal');
    // Without the backend's drain delay, 1 run in 3 here had picks for it refused (UNAVAILABLE, retried).
    assert.equal([run.summary.retried, run.summary.attemptFailuresByReason], [0, {}], 'the removed backend failed no attempt');
    const removedOk = run.summary.backends.find((backend) => backend.address === `127.0.0.1:${cluster.backend(2).port}`)?.ok ?? 0;
    assert.ok(removedOk > 0, 'the removed backend served part of the run before it left');
  });
});

resilience.run();
