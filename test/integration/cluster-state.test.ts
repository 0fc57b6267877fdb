// A damaged or missing cluster file never orphans a live cluster: commands say how to recover, nothing is
// deleted or signalled on a guess, and `down` still stops the cluster through its other witnesses.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { isProcessAlive } from '../../src/runtime/process/pid-probe.js';
import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { defineCluster, withCluster, type TestCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort({ span: 600 });
const TEST_TIMEOUT_MS = 90_000;

interface StatusJson {
  supervisorPid: number;
  components: Array<{ pid: number; state: string }>;
}
type Cluster = TestCluster<StatusJson>;

const sandbox = createSandbox('state');
const state = suite('cluster state: a damaged cluster file is an error, never a deletion');
state.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

/** True once the process has exited; a zombie counts (a detached supervisor is reaped by init when it gets round to it). */
function hasExited(pid: number): boolean {
  if (!isProcessAlive(pid)) return true;
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}
const isRunning = (pid: number): boolean => !hasExited(pid);

const clusterDir = (cluster: Cluster): string => path.join(sandbox.home, cluster.name);
const clusterFile = (cluster: Cluster): string => path.join(clusterDir(cluster), 'cluster.json');

/** Every command that reads the cluster answers `damaged` with exit 1, names the file, and harms nothing. */
async function assertRefusedButAlive(cluster: Cluster, pids: readonly number[], what: string): Promise<void> {
  for (const args of [['status'], ['report'], ['send', '--simple', '10']]) {
    const result = await cluster.run(args);
    assert.equal(result.exitCode, 1, `${what}: ${args[0]} exit code (stderr: ${result.stderr})`);
    assert.match(result.stderr, new RegExp(`${clusterFile(cluster).replaceAll('/', '\\/').replaceAll('.', '\\.')}`), `${what}: ${args[0]} names the file`);
    assert.match(result.stderr, /lbx down/, `${what}: ${args[0]} says how to recover`);
  }
  const up = await cluster.run(['up', '--backends', '2', '--base-port', String(cluster.basePort)]);
  assert.equal(up.exitCode, 2, `${what}: up refuses (stderr: ${up.stderr})`);
  assert.ok(existsSync(path.join(clusterDir(cluster), 'control.token')), `${what}: the token is still there`);
  assert.ok(existsSync(path.join(clusterDir(cluster), 'logs', 'supervisor.log')), `${what}: the logs are still there`);
  assert.equal(pids.filter(hasExited), [], `${what}: every process of the cluster still runs`);
}

for (const [slot, label, damage] of [
  [0, 'truncated', (file: string) => writeFileSync(file, '{"schemaVersion": 1, "na')],
  [1, 'garbage', (file: string) => writeFileSync(file, '\u0000\u0001 not json at all')],
  [2, 'another schema', (file: string) => writeFileSync(file, JSON.stringify({ schemaVersion: 99, supervisorPid: 1 }))],
] as const) {
  state(`a ${label} cluster file: status, report, send and up refuse with the path; down stops the cluster`, async () => {
    const cluster = defineCluster<StatusJson>(sandbox, `damaged-${slot}`, BASE_PORT + slot * 110);
    await withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
      const status = await cluster.status();
      const pids = [status.supervisorPid, ...status.components.map((component) => component.pid)];
      damage(clusterFile(cluster));
      await assertRefusedButAlive(cluster, pids, label);
      const down = await cluster.run(['down']);
      assert.equal(down.exitCode, 0, down.stderr);
      assert.match(down.stderr + down.stdout, /stopped/);
      assert.equal(pids.filter(isRunning), [], 'down stopped every process');
      assert.not.ok(existsSync(clusterDir(cluster)), 'down removed the state');
    });
  });
}

state('a removed cluster file: down finds the supervisor through its identity file and stops everything', async () => {
  const cluster = defineCluster<StatusJson>(sandbox, 'removed', BASE_PORT + 3 * 110);
  await withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
    const status = await cluster.status();
    const pids = [status.supervisorPid, ...status.components.map((component) => component.pid)];
    rmSync(clusterFile(cluster));
    const refused = await cluster.run(['status']);
    assert.equal(refused.exitCode, 1, refused.stderr);
    assert.match(refused.stderr, /is missing/);
    // The identity file gone too: the supervisor is still found by its command line.
    rmSync(path.join(clusterDir(cluster), 'supervisor.json'));
    const down = await cluster.json<{ outcome: string }>(['down']);
    assert.equal(down.outcome, 'stopped');
    assert.equal(pids.filter(isRunning), [], 'down stopped every process');
    const again = await cluster.run(['up', '--backends', '2', '--base-port', String(cluster.basePort)]);
    assert.equal(again.exitCode, 0, `the ports are free again: ${again.stderr}`);
  });
});

state('a cluster file naming another live process: no child is signalled, that process is untouched, down stops the real cluster', async () => {
  const cluster = defineCluster<StatusJson>(sandbox, 'foreign', BASE_PORT + 4 * 110);
  let bystander: ChildProcess | undefined;
  try {
    await withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
      const status = await cluster.status();
      const pids = [status.supervisorPid, ...status.components.map((component) => component.pid)];
      bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
      const file = JSON.parse(readFileSync(clusterFile(cluster), 'utf8')) as Record<string, unknown>;
      writeFileSync(clusterFile(cluster), JSON.stringify({ ...file, supervisorPid: bystander.pid }));
      const result = await cluster.run(['status']);
      assert.equal(result.exitCode, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`not this cluster's supervisor \\(pid ${status.supervisorPid}\\)`));
      assert.equal(pids.filter(hasExited), [], 'every process of the cluster still runs');
      const down = await cluster.run(['down']);
      assert.equal(down.exitCode, 0, down.stderr);
      assert.equal(pids.filter(isRunning), [], 'down stopped every process');
      assert.ok(isRunning(bystander.pid!), 'the process the file named was not signalled');
    });
  } finally {
    bystander?.kill('SIGKILL');
  }
});

state.run();
