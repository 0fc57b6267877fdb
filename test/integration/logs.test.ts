// lbx logs against a real cluster: every component prefixed and aligned, a filter, unknown components, -f sees later lines and new backends and stops on SIGTERM, a stopped cluster exits 3.
import { spawn } from 'node:child_process';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, eventually, killLeftovers, LBX_BIN } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const KILLED_PORT = BASE_PORT + 2;
const ADDED = `backend-${BASE_PORT + 3}`;
const COMPONENTS = ['supervisor', 'registry', 'lb', `backend-${BASE_PORT + 1}`, `backend-${KILLED_PORT}`];
const PREFIX = /^(\S+)( +)\| /;

const sandbox = createSandbox('logs');
const logs = suite('lbx logs');

logs.before(async () => {
  const up = await sandbox.run(['up', '--backends', '2', '--base-port', String(BASE_PORT)], { timeoutMs: 60_000 });
  if (up.exitCode !== 0) throw new Error(`up failed (${up.exitCode}): ${up.stderr}\n${sandbox.logs()}`);
});

logs.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

/** The component of each line, checking every bar sits in the same column. */
function prefixesOf(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n');
  const columns = new Set(lines.map((line) => line.indexOf(' | ')));
  assert.equal(columns.size, 1, `bars aligned:\n${stdout}`);
  return lines.map((line) => PREFIX.exec(line)?.[1] ?? `(no prefix: ${line})`);
}

logs('every component, prefixed, aligned and ordered by time', async () => {
  const result = await sandbox.run(['logs'], { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 0, result.stderr);
  const prefixes = prefixesOf(result.stdout);
  assert.equal([...new Set(prefixes)].sort(), [...COMPONENTS].sort());
  // Lines without a time stamp (a runtime warning on a child's stderr) stay next to their neighbours; the stamped ones are in order.
  const times = result.stdout
    .trimEnd()
    .split('\n')
    .map((line) => Date.parse(line.split(' | ')[1]?.slice(0, 24) ?? ''))
    .filter((time) => !Number.isNaN(time));
  assert.ok(times.length >= COMPONENTS.length, result.stdout);
  assert.ok(
    times.every((time, index) => index === 0 || time >= (times[index - 1] ?? 0)),
    `in time order:\n${result.stdout}`,
  );
});

logs('a component filters; -n bounds the lines; "backend" selects every backend', async () => {
  const one = await sandbox.run(['logs', `backend-${BASE_PORT + 1}`, '-n', '2'], { timeoutMs: 20_000 });
  assert.equal(one.exitCode, 0, one.stderr);
  assert.equal(prefixesOf(one.stdout), [`backend-${BASE_PORT + 1}`, `backend-${BASE_PORT + 1}`]);
  const backends = await sandbox.run(['logs', 'backend', '-n', '1'], { timeoutMs: 20_000 });
  assert.equal(backends.exitCode, 0, backends.stderr);
  assert.equal(prefixesOf(backends.stdout).sort(), [`backend-${BASE_PORT + 1}`, `backend-${KILLED_PORT}`]);
});

logs('an unknown component is a usage error that lists the components', async () => {
  const result = await sandbox.run(['logs', 'backend-1'], { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, new RegExp(`unknown component "backend-1".*${COMPONENTS.join(', ')}`));
});

logs('-f prints lines written after it started, picks up a backend added later, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [LBX_BIN, 'logs', '-f', '-n', '1'], { env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  try {
    assert.ok(await eventually(() => output.split('\n').length > COMPONENTS.length, 10_000), `the last line of each component first: ${output} ${errors}`);
    const kill = await sandbox.run(['kill', String(KILLED_PORT)]);
    assert.equal(kill.exitCode, 0, kill.stderr);
    const exitLine = new RegExp(`^supervisor +\\| \\S+ exited component=backend-${KILLED_PORT} reason="signal SIGKILL"`, 'm');
    assert.ok(await eventually(() => exitLine.test(output), 10_000), `the supervisor's exit line followed:\n${output}\n${errors}`);
    const add = await sandbox.run(['add'], { timeoutMs: 30_000 });
    assert.equal(add.exitCode, 0, add.stderr);
    const addedLine = new RegExp(`^${ADDED} \\| \\S+ backend ready on 127\\.0\\.0\\.1:${BASE_PORT + 3}`, 'm');
    assert.ok(await eventually(() => addedLine.test(output), 10_000), `the added backend's log followed:\n${output}\n${errors}`);
    child.kill('SIGTERM');
    assert.equal(await withTimeout(exited, 5_000, 'logs -f to stop on SIGTERM'), { code: 0, signal: null }, errors);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

logs('a stopped cluster has no logs: exit 3', async () => {
  const down = await sandbox.run(['down'], { timeoutMs: 30_000 });
  assert.equal(down.exitCode, 0, down.stderr);
  const result = await sandbox.run(['logs'], { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 3, result.stderr);
  assert.match(result.stderr, /state directory .* is gone/);
});

logs.run();
