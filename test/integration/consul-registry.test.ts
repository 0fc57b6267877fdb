// --registry consul end to end: lbx runs the consul binary it finds on PATH under a guard, polls its HTTP API, and stops it.
// No real consul can be installed on these machines; a stand-in that serves the same API exercises lbx's side of it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, eventually, findPidsMentioning, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const standin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/consul-standin');
const env = { PATH: `${standin}${path.delimiter}${process.env.PATH}` };
const REGISTRY_PORT_ARG = String(BASE_PORT + 102);

const sandbox = createSandbox('consul');
const consul = suite('--registry consul with a consul binary on PATH');

consul.after(async () => {
  await sandbox.run(['down'], { env }).catch(() => undefined);
  killLeftovers(sandbox);
  sandbox.dispose();
});

consul('auto prefers consul; traffic flows; down stops the agent too', async () => {
  try {
    const up = await sandbox.run(['up', '--backends', '2', '--base-port', String(BASE_PORT)], { env });
    assert.equal(up.exitCode, 0, up.stderr);
    assert.match(up.stdout, /registry: consul agent -dev \(.*consul-standin\/consul\)/);

    const send = await sandbox.run(['send', '--simple', '200', '--json'], { env });
    assert.equal(send.exitCode, 0, send.stderr);
    assert.equal(JSON.parse(send.stdout).summary.ok, 200);

    const status = JSON.parse((await sandbox.run(['status', '--json'], { env })).stdout) as { registry: string; components: Array<{ health: string }> };
    assert.equal(status.registry, 'consul');
    assert.ok(status.components.every((component) => component.health === 'serving'));

    const agentPids = findPidsMentioning(REGISTRY_PORT_ARG);
    assert.ok(agentPids.length > 0, 'the agent process is running');
    const down = await sandbox.run(['down'], { env });
    assert.equal(down.exitCode, 0, down.stderr);
    assert.ok(await eventually(() => findPidsMentioning(REGISTRY_PORT_ARG).length === 0, 3_000), 'the consul agent was stopped');
    assert.equal(sandbox.leftoverPids(), []);
  } catch (error) {
    console.error(sandbox.logs());
    throw error;
  }
});

consul('a SIGKILLed guard takes its agent with it, and the supervisor starts both again', async () => {
  try {
    const up = await sandbox.run(['up', '--backends', '2', '--base-port', String(BASE_PORT)], { env });
    assert.equal(up.exitCode, 0, up.stderr);
    type Status = { components: Array<{ name: string; pid: number; state: string; restarts: number }> };
    const registry = async (): Promise<Status['components'][number] | undefined> =>
      (JSON.parse((await sandbox.run(['status', '--json'], { env })).stdout) as Status).components.find((component) => component.name === 'registry');
    const guard = await registry();
    assert.ok(guard !== undefined && guard.pid > 0, 'the registry guard runs');
    const before = processGroup(guard.pid);
    assert.ok(before.length >= 2, `the guard and its agent run in one process group: ${before.join(', ')}`);
    process.kill(guard.pid, 'SIGKILL');
    // The agent (the guard's child, in its process group) must not outlive it: it would hold the port against the restart.
    assert.ok(await eventually(() => before.every((pid) => !isAlive(pid)), 5_000), `every process of the old registry is gone: ${before.filter(isAlive).join(', ')}`);
    assert.ok(await eventually(async () => (await registry())?.state === 'ready' && (await registry())?.restarts === 1, 15_000), 'the registry is back');
    const send = await sandbox.run(['send', '--simple', '100', '--json'], { env });
    assert.equal(send.exitCode, 0, send.stderr);
    const down = await sandbox.run(['down'], { env });
    assert.equal(down.exitCode, 0, down.stderr);
    assert.equal(sandbox.leftoverPids(), []);
  } catch (error) {
    console.error(sandbox.logs());
    throw error;
  }
});

/** The pids in process group `pgid` (field 5 of /proc/<pid>/stat). */
function processGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process that still runs (a zombie waiting to be reaped counts as gone). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

consul.run();
