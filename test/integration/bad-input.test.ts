// Bad input gets a clear error naming the value, a non-zero exit, and never harms a running cluster or leaves processes.
import net from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { isProcessAlive } from '../../src/runtime/process/pid-probe.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

/** Free ports for clusters at BASE_PORT, +200, +400 and +600 (16 backends). */
const BASE_PORT = await freeBasePort({ span: 800 });
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures');

// ---------------------------------------------------------------- no cluster at all
const idle = createSandbox('bad-idle');
const noCluster = suite('bad input without a cluster');
noCluster.after(() => {
  killLeftovers(idle);
  idle.dispose();
});

for (const [value, pattern] of [
  ['0', /greater than or equal to 1.*0|0.*greater than or equal to 1/s],
  ['-1', /-1/],
  ['abc', /abc/],
  ['65', /65/],
] as const) {
  noCluster(`up --backends ${value} is a usage error naming the value`, async () => {
    const result = await idle.run(['up', '--backends', value, '--base-port', String(BASE_PORT)]);
    assert.equal(result.exitCode, 2, result.stderr);
    assert.match(result.stderr, pattern);
    assert.not.ok(existsSync(path.join(idle.home, 'default')), 'no state was created');
    assert.equal(idle.leftoverPids(), []);
  });
}

noCluster('an unknown --policy is a usage error listing the choices', async () => {
  const result = await idle.run(['up', '--policy', 'fastest', '--base-port', String(BASE_PORT)]);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /fastest/);
  assert.match(result.stderr, /round_robin/);
});

noCluster('--weights and --speeds must give one valid value per backend', async () => {
  const count = await idle.run(['up', '--backends', '3', '--weights', '1,2', '--base-port', String(BASE_PORT)]);
  assert.equal(count.exitCode, 2);
  assert.match(count.stderr, /--weights "1,2" has 2 values: expected 3/);
  const value = await idle.run(['up', '--backends', '2', '--speeds', '1,fast', '--base-port', String(BASE_PORT)]);
  assert.equal(value.exitCode, 2);
  assert.match(value.stderr, /value 2 \("fast"\)/);
  const derived = await idle.run(['up', '--weights', 'speeds', '--base-port', String(BASE_PORT)]);
  assert.equal(derived.exitCode, 2);
  assert.match(derived.stderr, /--weights speeds needs --speeds/);
  assert.equal(idle.leftoverPids(), []);
});

noCluster('a ring too small for the cluster is a usage error before anything starts', async () => {
  const result = await idle.run(['up', '--policy', 'ch', '--backends', '4', '--ring-slots', '20', '--base-port', String(BASE_PORT)]);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /a ring of 20 slots cannot hold 4 backends × 9 virtual nodes \(36\)/);
});

noCluster('an invalid cluster name is a usage error', async () => {
  const result = await idle.run(['status', '--name', '../etc']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /invalid cluster name "\.\.\/etc"/);
});

for (const command of [['send'], ['kill', '7003'], ['report'], ['status']]) {
  noCluster(`${command[0]} with no cluster exits 3 and says how to start one`, async () => {
    const result = await idle.run(command);
    assert.equal(result.exitCode, 3, result.stderr);
    assert.match(result.stderr, /no cluster "default" is running/);
    assert.match(result.stderr, /lbx up/);
  });
}

noCluster('down with no cluster is a no-op that succeeds', async () => {
  const result = await idle.run(['down']);
  assert.equal(result.exitCode, 0);
  assert.match(result.stdout, /nothing to stop/);
});

noCluster('--registry consul without a consul binary is a usage error', async () => {
  const result = await idle.run(['up', '--registry', 'consul', '--base-port', String(BASE_PORT)], { env: { PATH: path.dirname(process.execPath) } });
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /no consul binary on PATH/);
});

noCluster('a consul binary that fails to start: its output in the error, nothing left running', async () => {
  const result = await idle.run(['up', '--registry', 'consul', '--base-port', String(BASE_PORT)], {
    env: { PATH: `${path.join(fixtures, 'failing-consul')}:${process.env.PATH}` },
  });
  assert.equal(result.exitCode, 1, result.stderr);
  assert.match(result.stderr, /consul agent exited/);
  assert.match(result.stderr, /Failed to bind: address already in use \(fixture\)/);
  assert.equal(idle.leftoverPids(), []);
  assert.not.ok(existsSync(path.join(idle.home, 'default')), 'no state left behind');
});

noCluster('a port in use names the port and --base-port, and starts nothing', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(BASE_PORT + 100, '127.0.0.1', resolve));
  try {
    const result = await idle.run(['up', '--base-port', String(BASE_PORT)]);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, new RegExp(`${BASE_PORT + 100} \\(load balancer\\)`));
    assert.match(result.stderr, /--base-port/);
    assert.equal(idle.leftoverPids(), []);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

noCluster('up that times out exits 4, names the timeout, and stops everything it started', async () => {
  // 16 backends take well over a second to become ready here; the whole-cluster deadline is 1 s.
  const result = await idle.run(['up', '--backends', '16', '--timeout', '1000', '--base-port', String(BASE_PORT + 600)]);
  assert.equal(result.exitCode, 4, result.stderr);
  assert.match(result.stderr, /not ready after 1000 ms/);
  assert.equal(idle.leftoverPids(), [], 'the supervisor stopped every child before up returned');
  assert.not.ok(existsSync(path.join(idle.home, 'default')), 'no state left behind');
});

noCluster.run();

// ---------------------------------------------------------------- with a running cluster
const live = createSandbox('bad-live');
const running = suite('bad input against a running cluster');
running.before(async () => {
  await live.json(['up', '--backends', '2', '--base-port', String(BASE_PORT + 200)]);
});
running.after(async () => {
  await live.run(['down']).catch(() => undefined);
  killLeftovers(live);
  live.dispose();
});

const assertClusterHealthy = async (): Promise<void> => {
  const status = await live.json<{ components: Array<{ health: string }> }>(['status']);
  assert.ok(status.components.every((component) => component.health === 'serving'), 'cluster still healthy');
};

running('up again is refused and leaves the cluster running', async () => {
  const result = await live.run(['up', '--base-port', String(BASE_PORT + 200)]);
  assert.not.equal(result.exitCode, 0);
  assert.match(result.stderr, /already running/);
  await assertClusterHealthy();
});

running('kill of a port that is not a backend lists the backend ports', async () => {
  const result = await live.run(['kill', '9999']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, new RegExp(`port 9999 is not a backend of cluster "default"; backend ports: ${BASE_PORT + 201}, ${BASE_PORT + 202}`));
  await assertClusterHealthy();
});

running('kill with a non-numeric port is a usage error', async () => {
  const result = await live.run(['kill', 'abc']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /abc/);
});

running('send with nothing to send, or a bad --concurrency, is a usage error', async () => {
  const nothing = await live.run(['send', '--simple', '0', '--heavy', '0']);
  assert.equal(nothing.exitCode, 2);
  assert.match(nothing.stderr, /nothing to send/);
  const concurrency = await live.run(['send', '--concurrency', '0']);
  assert.equal(concurrency.exitCode, 2);
  assert.match(concurrency.stderr, /0/);
  await assertClusterHealthy();
});

running.run();

// ---------------------------------------------------------------- a SIGKILLed supervisor
const crashed = createSandbox('bad-stale');
const stale = suite('a state directory left by a SIGKILLed supervisor');
stale.after(async () => {
  await crashed.run(['down']).catch(() => undefined);
  killLeftovers(crashed);
  crashed.dispose();
});

stale('children exit with their supervisor; the stale state is detected and cleaned; up starts cleanly', async () => {
  const cluster = ['--base-port', String(BASE_PORT + 400)];
  const up = await crashed.json<{ supervisorPid: number; components: Array<{ pid: number }> }>(['up', '--backends', '2', ...cluster]);
  process.kill(up.supervisorPid, 'SIGKILL');
  const childPids = up.components.map((component) => component.pid);
  assert.ok(
    await eventually(() => childPids.every((pid) => !isProcessAlive(pid)), 3_000),
    `children still alive 3 s after their supervisor's SIGKILL: ${childPids.filter(isProcessAlive).join(', ')}`,
  );
  const status = await crashed.run(['status']);
  assert.equal(status.exitCode, 3);
  assert.match(status.stderr, /stale/);
  assert.not.ok(existsSync(path.join(crashed.home, 'default')), 'stale state removed');
  const again = await crashed.json<{ components: unknown[] }>(['up', '--backends', '2', ...cluster]);
  assert.equal(again.components.length, 4);
});

stale.run();
