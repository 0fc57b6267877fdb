// Elasticity with real processes: scale up and down, rm and add while sends run, and bad requests refused
// without harm. Each test has its own cluster (name and base port) and tears it down.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import type { GetStatsResponse } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { defineCluster as defineTestCluster, withCluster as withTestCluster, type TestCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';

/** This file's ports: a free range with room for slots 0–19, one layout per test, PORT_STEP apart. */
const BASE_PORT = await freeBasePort({ span: 2_400 });
const PORT_STEP = 110;
const TEST_TIMEOUT_MS = 100_000;
/** Picks the LB must have made before a change, so the change lands inside the running send. */
const PICKS_BEFORE_CHANGE = 1_000;

interface Component {
  name: string;
  role: string;
  address: string;
  pid: number;
  state: string;
  health: string;
  restarts: number;
}
interface StatusJson {
  components: Component[];
}
interface BackendOk {
  address: string;
  ok: number;
  errors: number;
}
interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number>; backends: BackendOk[] };
}
interface Change {
  name: string;
  port: number;
  address: string;
  pid: number;
  elapsedMs: number;
}
interface BackendReport {
  address: string;
  state: string;
  servedSimple: number;
  servedSource: string;
  clientOk: number;
  speed: number;
  joinedAtUnixMs: number;
  leftAtUnixMs: number;
}
interface ReportJson {
  backends: BackendReport[];
  reconciliation: { matches: boolean; rows: unknown[] };
}

const sandbox = createSandbox('elasticity');
const elasticity = suite('elasticity: scale, rm and add under traffic; bad requests refused');

elasticity.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

type Cluster = TestCluster<StatusJson, RunJson, ReportJson>;

const defineCluster = (name: string, slot: number): Cluster => defineTestCluster<StatusJson, RunJson, ReportJson>(sandbox, name, BASE_PORT + slot * PORT_STEP);
const withCluster = (cluster: Cluster, upArgs: readonly string[], body: () => Promise<void>): Promise<void> => withTestCluster(sandbox, cluster, upArgs, TEST_TIMEOUT_MS, body);
const addressOf = (port: number): string => `127.0.0.1:${port}`;

/** Waits until the LB has made `count` more picks than `since`: the running send is under way. */
async function awaitPicks(cluster: Cluster, since: number, count: number): Promise<number> {
  let picks = since;
  const isUnderWay = await eventually(async () => {
    picks = (await cluster.lbStats()).picks;
    return picks >= since + count;
  }, 60_000);
  assert.ok(isUnderWay, `the LB made ${count} picks after ${since} (at ${picks})`);
  return picks;
}

const assertNoFailures = (run: RunJson, what: string): void => {
  assert.equal(run.summary.failed, 0, `${what}: ${run.summary.failed} failed ${JSON.stringify(run.summary.failuresByReason)}`);
  assert.equal(run.summary.ok, run.summary.sent, `${what}: every request ok`);
};

const okAt = (run: RunJson, address: string): number => run.summary.backends.find((backend) => backend.address === address)?.ok ?? 0;

const backendIn = (report: ReportJson, address: string): BackendReport => {
  const found = report.backends.find((backend) => backend.address === address);
  if (found === undefined) throw new Error(`no backend ${address} in the report: ${report.backends.map((backend) => backend.address).join(', ')}`);
  return found;
};

const assignedAt = (stats: GetStatsResponse, address: string): number => stats.backends.find((backend) => backend.address === address)?.assigned ?? -1;

const assertReconciles = (report: ReportJson): void => {
  assert.ok(report.reconciliation.matches, `reconciliation: ${JSON.stringify(report.reconciliation.rows)}`);
};

const backendsOf = (status: StatusJson): Component[] => status.components.filter((component) => component.role === 'backend');

// ---------------------------------------------------------------- (1) scale under traffic

elasticity('scale 3 → 6 and 6 → 2 while sends run: nothing fails, new backends serve, removed ones are "removed"; crashed ones do not count', async () => {
  const cluster = defineCluster('scale', 0);
  const port = (index: number): number => cluster.basePort + 1 + index;
  await withCluster(cluster, ['--backends', '3'], async () => {
    const growing = cluster.send(['--simple', '20000', '--concurrency', '32']);
    const picksBeforeUp = await awaitPicks(cluster, 0, PICKS_BEFORE_CHANGE);
    const up = await cluster.json<{ added: Change[]; removed: Change[] }>(['scale', '--backends', '6'], { timeoutMs: 60_000 });
    assert.equal(
      up.added.map((change) => change.port),
      [port(3), port(4), port(5)],
      'new backends on the lowest free ports',
    );
    assert.equal(up.removed, []);
    const run = await growing;
    assertNoFailures(run, 'send while scaling up');
    for (const change of up.added) {
      assert.ok(okAt(run, change.address) > 0, `new backend ${change.address} served some of the run: ${JSON.stringify(run.summary.backends)}`);
    }
    assert.ok(picksBeforeUp < run.summary.sent, 'the scale-up came while the send ran');

    const shrinking = cluster.send(['--simple', '10000', '--concurrency', '32']);
    await awaitPicks(cluster, (await cluster.lbStats()).picks, PICKS_BEFORE_CHANGE);
    const down = await cluster.json<{ added: Change[]; removed: Change[] }>(['scale', '--backends', '2'], { timeoutMs: 60_000 });
    assert.equal(
      down.removed.map((change) => change.port).sort((a, b) => a - b),
      [port(2), port(3), port(4), port(5)],
      'the highest ports removed',
    );
    assertNoFailures(await shrinking, 'send while scaling down');

    const status = await cluster.status();
    const states = backendsOf(status).map((backend) => `${backend.address} ${backend.state}`);
    assert.equal(
      states,
      [0, 1, 2, 3, 4, 5].map((index) => `${addressOf(port(index))} ${index < 2 ? 'ready' : 'removed'}`),
    );
    assertReconciles(await cluster.report());
    // Only the two that are left take a new run.
    const after = await cluster.send(['--simple', '500', '--concurrency', '8']);
    assertNoFailures(after, 'send after scaling down');
    assert.equal(
      after.summary.backends.map((backend) => backend.address),
      [port(0), port(1)].map(addressOf),
    );

    // A crashed backend (no --respawn) is not one of the N: scaling to N starts it again, and shrinking never removes a running one for it.
    const crash = async (index: number): Promise<void> => {
      assert.equal((await cluster.run(['kill', String(port(index))])).exitCode, 0);
      const address = addressOf(port(index));
      assert.ok(
        await eventually(async () => backendsOf(await cluster.status()).some((backend) => backend.address === address && backend.state === 'exited'), 10_000),
        `${address} exited`,
      );
    };
    await crash(1);
    const refill = await cluster.json<{ added: Change[]; removed: Change[] }>(['scale', '--backends', '2'], { timeoutMs: 60_000 });
    assert.equal([refill.added.map((change) => change.port), refill.removed], [[port(1)], []], 'the crashed backend started again');
    await crash(0);
    const same = await cluster.json<{ added: Change[]; removed: Change[] }>(['scale', '--backends', '1'], { timeoutMs: 60_000 });
    assert.equal([same.added, same.removed], [[], []], 'one backend runs already: nothing to remove');
    const final = backendsOf(await cluster.status()).filter((backend) => backend.state !== 'removed');
    assert.equal(
      final.map((backend) => `${backend.address} ${backend.state}`),
      [`${addressOf(port(0))} exited`, `${addressOf(port(1))} ready`],
    );
    const lastRunning = await cluster.run(['rm', String(port(1))]);
    assert.equal(lastRunning.exitCode, 2, 'the last running backend cannot be removed, though a crashed one is listed');
    assert.match(lastRunning.stderr, new RegExp(`backend ${port(1)} is the last running backend`));
    assertNoFailures(await cluster.send(['--simple', '300', '--concurrency', '8']), 'send with one backend running');
  });
});

// ---------------------------------------------------------------- (2) rm and add under traffic

elasticity('rm under traffic: nothing fails and the backend is assigned no more; add --speed 0.5 joins and serves', async () => {
  const cluster = defineCluster('rmadd', 1);
  const removedPort = cluster.basePort + 2;
  const removed = addressOf(removedPort);
  await withCluster(cluster, ['--backends', '4'], async () => {
    // Long enough to still be sending after the rm (streamed tasks go at thousands a second).
    const sending = cluster.send(['--simple', '40000', '--concurrency', '32']);
    await awaitPicks(cluster, 0, 1_500);
    const rm = await cluster.json<{ removed: Change }>(['rm', String(removedPort)], { timeoutMs: 30_000 });
    assert.equal(rm.removed.address, removed);

    // Right after rm: it is gone from status, and the LB's and its own counts are final.
    const atRemoval = await cluster.report();
    const gone = backendIn(atRemoval, removed);
    assert.equal(gone.state, 'removed');
    assert.ok(gone.servedSimple > 0, `it served before its removal (${gone.servedSimple})`);
    assert.ok(gone.joinedAtUnixMs > 0 && gone.leftAtUnixMs > gone.joinedAtUnixMs, `joined ${gone.joinedAtUnixMs}, left ${gone.leftAtUnixMs}`);
    const statsAtRemoval = await cluster.lbStats();
    const assignedAtRemoval = assignedAt(statsAtRemoval, removed);
    assert.ok(assignedAtRemoval > 0, 'the LB still lists what it assigned');

    // Traffic goes on without it.
    await awaitPicks(cluster, statsAtRemoval.picks, 2_000);
    assert.equal(assignedAt(await cluster.lbStats(), removed), assignedAtRemoval, 'no assignment after the removal');
    const run = await sending;
    assertNoFailures(run, 'send during rm');
    assert.equal(backendIn(await cluster.report(), removed).servedSimple, gone.servedSimple, 'its served count did not grow after rm');
    assert.equal(okAt(run, removed), gone.servedSimple, 'every task it served reached the client');

    // add takes the lowest free port — the one rm freed — and a new process with its own traits.
    const add = await cluster.json<{ added: Change; speed: number }>(['add', '--speed', '0.5'], { timeoutMs: 30_000 });
    assert.equal([add.added.port, add.speed], [removedPort, 0.5]);
    const afterAdd = await cluster.send(['--simple', '2000', '--concurrency', '16']);
    assertNoFailures(afterAdd, 'send after add');
    assert.ok(okAt(afterAdd, add.added.address) > 0, `the added backend serves: ${JSON.stringify(afterAdd.summary.backends)}`);
    const report = await cluster.report();
    const added = backendIn(report, add.added.address);
    assert.equal([added.state, added.speed, added.leftAtUnixMs], ['ready', 0.5, 0]);
    assert.ok(added.joinedAtUnixMs > gone.leftAtUnixMs, 'it joined after the removed one left');
    assertReconciles(report);
  });
});

// ---------------------------------------------------------------- (3) bad requests

elasticity('bad rm, start, scale and add requests exit 2 naming the value, and leave the cluster as it was', async () => {
  const cluster = defineCluster('refusals', 2);
  const onlyPort = cluster.basePort + 1;
  const unknownPort = cluster.basePort + 50;
  await withCluster(cluster, ['--backends', '1'], async () => {
    const before = await cluster.status();
    const cases: Array<{ args: string[]; message: RegExp }> = [
      { args: ['rm', String(unknownPort)], message: new RegExp(`port ${unknownPort} is not a backend of cluster "${cluster.name}"; backend ports: ${onlyPort}`) },
      { args: ['rm', String(onlyPort)], message: new RegExp(`backend ${onlyPort} is the last running backend`) },
      { args: ['start', String(onlyPort)], message: new RegExp(`backend ${onlyPort} is already running`) },
      { args: ['scale', '--backends', '0'], message: /--backends[\s\S]*received: 0/ },
      { args: ['scale', '--backends', '257'], message: /--backends[\s\S]*less than or equal to 256 but received: 257/ },
      { args: ['add', '--speed', '0'], message: /--speed "0" is not valid/ },
      { args: ['add', '--speed', 'abc'], message: /--speed "abc" is not valid/ },
    ];
    for (const { args, message } of cases) {
      const result = await cluster.run(args);
      assert.equal(result.exitCode, 2, `lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
      assert.match(result.stderr, message, `lbx ${args.join(' ')}`);
    }
    const after = await cluster.status();
    assert.equal(
      after.components.map((component) => [component.name, component.pid, component.state, component.health]),
      before.components.map((component) => [component.name, component.pid, 'ready', 'serving']),
      'the same processes, all ready and serving',
    );
    assertNoFailures(await cluster.send(['--simple', '200']), 'send after the refusals');
  });
});

elasticity.run();
