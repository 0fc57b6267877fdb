// The command line from its bundle (build/lbx-cli.cjs, which bin/lbx.js runs when the build made it) answers as it
// does from its modules (LBX_CLI_BUNDLE=0): help, version, usage errors with their exit codes and JSON, a typo'd
// command, a command under a topic, and a real cluster's up, send, report and down.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { WARM_FLAG_OFFSET } from '../../src/runtime/process/code-cached-bundle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = path.join(root, 'build/lbx-cli.cjs');
const sandbox = createSandbox('lbx-cli-bundle');
const COMMAND_TIMEOUT_MS = 60_000;

type From = 'bundle' | 'modules';
const lbx = (from: From, args: string[]): ReturnType<typeof sandbox.run> =>
  sandbox.run(args, { timeoutMs: COMMAND_TIMEOUT_MS, env: { LBX_CLI_BUNDLE: from === 'modules' ? '0' : '1' } });

/** Node's own warnings (one names its process id, and FORCE_COLOR may reach the children) are not lbx's output. */
const withoutNodeWarnings = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !/^\(node:\d+\) Warning|--trace-warnings/.test(line))
    .join('\n');

const test = suite('the bundled command line');
test.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

test('the build made the bundle, and running a command leaves its warm code cache beside it', async () => {
  assert.ok(existsSync(bundle), `${bundle}: npm run build makes it`);
  rmSync(`${bundle}.v8cache`, { force: true });
  assert.is((await lbx('bundle', ['--version'])).exitCode, 0);
  // Only the bundle's runner writes this file; its warm flag is 1 once made at exit.
  assert.is(readFileSync(`${bundle}.v8cache`)[WARM_FLAG_OFFSET], 1);
});

for (const args of [
  ['--help'],
  ['--version'],
  ['help', 'send'],
  ['xds', 'bootstrap', '--help'],
  ['sned'],
  ['sned', 'foo', '--json'],
  ['sned', '--help'],
  ['serve', 'nothing'],
  ['send', '--client', 'xds', '--simple', '1', '--name', 'nothing-here'],
  ['sim', '--backends', '0'],
  ['stauts', '--json'],
  ['send', '--simple', 'many'],
  ['status', '--json', '--name', 'nothing-here'],
  ['up', '--backends', '0', '--json'],
]) {
  test(`lbx ${args.join(' ')}: the same exit code and output from the bundle as from the modules`, async () => {
    const [fromBundle, fromModules] = await Promise.all([lbx('bundle', args), lbx('modules', args)]);
    assert.is(fromBundle.exitCode, fromModules.exitCode, `exit code (bundle stderr: ${fromBundle.stderr})`);
    assert.is(fromBundle.stdout, fromModules.stdout);
    assert.is(withoutNodeWarnings(fromBundle.stderr), withoutNodeWarnings(fromModules.stderr));
  });
}

test('a cluster from the bundle: up, send, report reconciles, down leaves nothing', async () => {
  const basePort = await freeBasePort();
  const name = 'bundled';
  const up = await lbx('bundle', ['up', '--name', name, '--backends', '2', '--base-port', String(basePort), '--json']);
  assert.is(up.exitCode, 0, up.stderr);
  try {
    const sent = await lbx('bundle', ['send', '--name', name, '--simple', '300', '--json']);
    assert.is(sent.exitCode, 0, sent.stderr);
    assert.is((JSON.parse(sent.stdout) as { summary: { ok: number } }).summary.ok, 300);
    const report = await lbx('bundle', ['report', '--name', name, '--json']);
    assert.is(report.exitCode, 0, report.stderr);
    assert.ok((JSON.parse(report.stdout) as { reconciliation: { matches: boolean } }).reconciliation.matches, report.stdout.slice(0, 400));
  } finally {
    const down = await lbx('bundle', ['down', '--name', name]);
    assert.is(down.exitCode, 0, down.stderr);
  }
  assert.not.ok(existsSync(path.join(sandbox.home, name)), 'down removed the cluster directory');
});

test.run();
