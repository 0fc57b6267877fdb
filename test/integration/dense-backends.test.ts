// Dense mode (`up --backend-processes K`): 8 backends in 2 processes, one worker thread each. A send reconciles,
// `kill` ends one backend and leaves the others of its process serving, `down` leaves no process. With
// `--backends-per-thread 2`, kill ends one backend inside a shared thread, under a heavy send that loses nothing, and its
// neighbour serves on. And the default, a process per backend, runs each backend from the bundled entry `npm run build`
// makes (build/backend-role.cjs, run with its V8 code cache).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const TEST_TIMEOUT_MS = 60_000;
const BACKENDS = 8;
/** The shared-thread kill happens once the victim has been given this many heavy tasks of a send, polled every POLL_MS. */
const LOADED_TASKS = 8;
const LOADED_WITHIN_MS = 20_000;
const POLL_MS = 25;

interface Component {
  name: string;
  role: string;
  address: string;
  pid: number;
  state: string;
  exitReason?: string;
}
interface StatusJson {
  components: Component[];
}
interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number>; backends: Array<{ address: string; ok: number }> };
}
interface ReportJson {
  reconciliation: { matches: boolean; rows: unknown[] };
}

const sandbox = createSandbox('dense');
const dense = suite('dense mode: backends as worker threads of a few processes');

dense.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const argvOf = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');

const assertAllOk = (run: RunJson, what: string): void => {
  assert.is(run.summary.failed, 0, `${what}: ${JSON.stringify(run.summary.failuresByReason)}`);
  assert.is(run.summary.ok, run.summary.sent, `${what}: every task ok`);
};

dense('8 backends in 2 processes: send reconciles, kill ends one backend alone, down leaves nothing', async () => {
  const cluster = defineCluster<StatusJson, RunJson, ReportJson>(sandbox, 'dense', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', String(BACKENDS), '--backend-processes', '2', '--registry', 'embedded'], TEST_TIMEOUT_MS, async () => {
    const backends = (await cluster.status()).components.filter((component) => component.role === 'backend');
    assert.is(backends.length, BACKENDS);
    const hostPids = [...new Set(backends.map((backend) => backend.pid))];
    assert.is(hostPids.length, 2, `two processes serve the backends: ${JSON.stringify(backends.map((backend) => [backend.name, backend.pid]))}`);
    for (const pid of hostPids) assert.match(argvOf(pid), /serve backend-host/);

    const first = await cluster.send(['--simple', '1000', '--heavy', '24', '--concurrency', '16']);
    assertAllOk(first, 'first send');
    assert.is(first.summary.backends.filter((backend) => backend.ok > 0).length, BACKENDS, 'every backend served');
    const report = await cluster.report();
    assert.ok(report.reconciliation.matches, `reconciliation: ${JSON.stringify(report.reconciliation.rows)}`);

    const victim = cluster.backend(0);
    const victimPid = backends.find((backend) => backend.address === victim.address)?.pid ?? -1;
    const killed = await cluster.json<{ pid: number }>(['kill', String(victim.port)]);
    assert.is(killed.pid, victimPid);
    const after = (await cluster.status()).components.filter((component) => component.role === 'backend');
    const victimAfter = after.find((backend) => backend.address === victim.address);
    assert.is(victimAfter?.state, 'exited', 'the killed backend exited');
    assert.ok(isAlive(victimPid), 'its process lives on');
    const neighbours = after.filter((backend) => backend.pid === victimPid && backend.address !== victim.address);
    assert.is(neighbours.length, BACKENDS / 2 - 1, 'the other backends of its process are still there');
    for (const neighbour of neighbours) assert.is(neighbour.state, 'ready', `${neighbour.name} still ready`);

    const second = await cluster.send(['--simple', '600', '--concurrency', '16']);
    assertAllOk(second, 'send after the kill');
    const servedBy = (address: string): number => second.summary.backends.find((backend) => backend.address === address)?.ok ?? 0;
    assert.is(servedBy(victim.address), 0, 'the killed backend served nothing');
    for (const neighbour of neighbours) assert.ok(servedBy(neighbour.address) > 0, `${neighbour.name}, in the killed backend's process, served`);

    const started = await cluster.json<{ started: { pid: number } }>(['start', String(victim.port)]);
    assert.is(started.started.pid, victimPid, 'started again in the same process');
  });
});

dense('--backends-per-thread 2: two backends a thread; kill ends one and its thread-neighbour serves on; start reuses the slot', async () => {
  const cluster = defineCluster<StatusJson, RunJson, ReportJson>(sandbox, 'shared', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '4', '--backend-processes', '1', '--backends-per-thread', '2', '--registry', 'embedded'], TEST_TIMEOUT_MS, async () => {
    const threadsStarted = (): number => cluster.log('backend-host-0').match(/worker thread \d+ started/g)?.length ?? 0;
    assert.is(threadsStarted(), 2, `4 backends in 2 threads: ${cluster.log('backend-host-0')}`);
    // Threads are filled in the order backends start: the host's log says which share one.
    const threadOf = new Map([...cluster.log('backend-host-0').matchAll(/backend (\d+) starts in worker thread (\d+)/g)].map((match) => [Number(match[1]), match[2]]));
    const victim = cluster.backend(0);
    const neighbourPort = [...threadOf].find(([port, thread]) => port !== victim.port && thread === threadOf.get(victim.port))?.[0];
    assert.ok(neighbourPort !== undefined, `backend 0 shares its thread: ${JSON.stringify([...threadOf])}`);
    const neighbour = { port: neighbourPort, address: `127.0.0.1:${neighbourPort}` };

    const first = await cluster.send(['--simple', '400', '--heavy', '16', '--concurrency', '16']);
    assertAllOk(first, 'first send');
    assert.is(first.summary.backends.filter((backend) => backend.ok > 0).length, 4, 'every backend served');

    // Killed with CPU_HEAVY tasks on it: each ends exactly once (retried elsewhere), and the counts still reconcile below.
    const assignedTo = async (address: string): Promise<number> => (await cluster.lbStats()).backends.find((backend) => backend.address === address)?.assigned ?? 0;
    const assignedBefore = await assignedTo(victim.address);
    const underLoad = cluster.send(['--simple', '0', '--heavy', '400', '--concurrency', '16']);
    const loadedBy = Date.now() + LOADED_WITHIN_MS;
    while ((await assignedTo(victim.address)) < assignedBefore + LOADED_TASKS && Date.now() < loadedBy) await sleep(POLL_MS);
    assert.ok((await assignedTo(victim.address)) >= assignedBefore + LOADED_TASKS, `the victim got ${LOADED_TASKS} heavy tasks within ${LOADED_WITHIN_MS} ms`);
    await cluster.json(['kill', String(victim.port)]);
    const throughKill = await underLoad;
    assertAllOk(throughKill, 'heavy send through the kill');
    // Tasks the kill cut off were sent again: proof the kill found work in flight, not an idle backend.
    assert.ok(throughKill.summary.retried > 0, `tasks in flight on the victim were retried: ${JSON.stringify(throughKill.summary)}`);
    const after = (await cluster.status()).components.filter((component) => component.role === 'backend');
    assert.is(after.find((backend) => backend.address === victim.address)?.state, 'exited', 'the killed backend exited');
    assert.is(after.find((backend) => backend.address === neighbour.address)?.state, 'ready', 'its thread-neighbour is still ready');
    const second = await cluster.send(['--simple', '400', '--concurrency', '16']);
    assertAllOk(second, 'send after the kill');
    const servedBy = (address: string): number => second.summary.backends.find((backend) => backend.address === address)?.ok ?? 0;
    assert.is(servedBy(victim.address), 0, 'the killed backend served nothing');
    assert.ok(servedBy(neighbour.address) > 0, 'its thread-neighbour served');

    await cluster.json(['start', String(victim.port)]);
    assert.is(threadsStarted(), 2, 'started again in the free slot of its old thread');
    const third = await cluster.send(['--simple', '400', '--concurrency', '16']);
    assertAllOk(third, 'send after the start');
    assert.ok((third.summary.backends.find((backend) => backend.address === victim.address)?.ok ?? 0) > 0, 'the restarted backend served');
    const report = await cluster.report();
    assert.ok(report.reconciliation.matches, `reconciliation: ${JSON.stringify(report.reconciliation.rows)}`);
  });
});

const BUNDLED_BACKEND = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../build/backend-role.cjs');

dense('a process per backend runs the bundled entry; a SIGKILLed backend comes back from it and the cluster reconciles', async () => {
  // npm test builds first, and esbuild is a dev dependency: a missing bundle is a broken build step, not a skip.
  assert.ok(existsSync(BUNDLED_BACKEND), `npm run build made ${BUNDLED_BACKEND}`);
  const cluster = defineCluster<StatusJson, RunJson, ReportJson>(sandbox, 'bundled', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '2', '--registry', 'embedded'], TEST_TIMEOUT_MS, async () => {
    const backendPids = async (): Promise<number[]> =>
      (await cluster.status()).components.filter((component) => component.role === 'backend' && component.state === 'ready').map((component) => component.pid);
    const pids = await backendPids();
    assert.is(pids.length, 2);
    for (const pid of pids) assert.match(argvOf(pid), /build\/run-bundle\.cjs \S+\/build\/backend-role\.cjs serve backend --id backend-/);

    const victim = cluster.backend(0);
    await cluster.json(['kill', String(victim.port), '--signal', 'SIGKILL']);
    await cluster.json(['start', String(victim.port)]);
    const restarted = await backendPids();
    assert.is(restarted.length, 2, 'both backends ready again');
    for (const pid of restarted) assert.match(argvOf(pid), /build\/run-bundle\.cjs \S+\/build\/backend-role\.cjs serve backend/);
    // The first backend to compile the bundle left its code cache for the others (runtime/process/code-cached-bundle.ts).
    assert.ok(existsSync(`${BUNDLED_BACKEND}.v8cache`), 'the bundle has its code cache');

    const run = await cluster.send(['--simple', '400', '--concurrency', '16']);
    assertAllOk(run, 'send after the restart');
    const report = await cluster.report();
    assert.ok(report.reconciliation.matches, `reconciliation: ${JSON.stringify(report.reconciliation.rows)}`);
  });
});

dense('more than 64 backends without --backend-processes is a usage error naming the flag', async () => {
  const result = await sandbox.run(['up', '--backends', '65', '--name', 'too-many']);
  assert.is(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /--backends 65 needs --backend-processes/);
  const perThread = await sandbox.run(['up', '--backends', '4', '--backends-per-thread', '2', '--name', 'no-dense']);
  assert.is(perThread.exitCode, 2, perThread.stderr);
  assert.match(perThread.stderr, /--backends-per-thread 2 needs --backend-processes K/);
});

dense.run();
