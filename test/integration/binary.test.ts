// The single executable (npm run build:binary), copied alone into an empty directory, runs the whole user flow.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { eventually, findPidsMentioning } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BUILT_BINARY = path.join(root, 'build/lbx');
const BASE_PORT = await freeBasePort();
const KILLED_PORT = BASE_PORT + 2;
const BUILD_TIMEOUT_MS = 120_000;
const COMMAND_TIMEOUT_MS = 30_000;
const isSupported = process.platform === 'linux' && process.arch === 'x64';

const binary = suite('single executable: alone in an empty directory, no node_modules within reach');
// The binary's only company: PATH is the directory itself, HOME and LBX_HOME are inside it.
const dir = mkdtempSync(path.join(os.tmpdir(), 'lbx-binary-'));
const lbxFile = path.join(dir, 'lbx');
const env = { PATH: dir, HOME: dir, LBX_HOME: path.join(dir, '.lbx'), NO_COLOR: '1' };

async function lbx(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const result = await execa(lbxFile, args, { cwd: dir, env, extendEnv: false, reject: false, timeout: COMMAND_TIMEOUT_MS });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function lbxOk(args: string[]): Promise<string> {
  const result = await lbx(args);
  assert.is(result.exitCode, 0, `lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

binary.before(() => {
  if (!isSupported) return;
  // Always rebuilt (about 12 s), so the test never passes on a stale binary.
  // FORCE_COLOR (set by the test runner) beside NO_COLOR makes node warn in the build's output.
  const buildEnv = { ...process.env, FORCE_COLOR: undefined, NO_COLOR: undefined };
  execFileSync('npm', ['run', '--silent', 'build:binary'], { cwd: root, env: buildEnv, stdio: ['ignore', 'ignore', 'inherit'], timeout: BUILD_TIMEOUT_MS });
  copyFileSync(BUILT_BINARY, lbxFile);
  execFileSync('chmod', ['755', lbxFile]);
});

binary.after(async () => {
  if (isSupported) await lbx(['down']).catch(() => undefined);
  const leftovers = findPidsMentioning(dir);
  for (const pid of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

if (!isSupported) {
  binary.skip(`the single executable is built and tested on linux-x64 only (this is ${process.platform}-${process.arch})`, () => undefined);
} else {
  binary('--help and --version', async () => {
    const help = await lbxOk(['--help']);
    for (const command of ['up', 'send', 'kill', 'report', 'down', 'serve']) assert.match(help, new RegExp(`^\\s+${command}\\s`, 'm'), `--help lists ${command}`);
    const version = await lbxOk(['--version']);
    assert.match(version, /^lbx\/0\.1\.0 linux-x64 node-v\d+/);
    const serveHelp = await lbxOk(['serve', 'backend', '--help']);
    assert.match(serveHelp, /--port/);
    // oclif reloads an explicit Config when it runs it, dropping hooks given as functions: the typo still gets lbx's answer.
    const typo = await lbx(['sned']);
    assert.is(typo.exitCode, 2);
    assert.match(typo.stderr, /"sned" is not an lbx command\n {2}did you mean: lbx send\?/);
  });

  binary('up, send, kill, send, report, down: every role from the one file, nothing left behind', async () => {
    await withTimeout(
      (async () => {
        const up = JSON.parse(await lbxOk(['up', '--backends', '3', '--base-port', String(BASE_PORT), '--json'])) as {
          components: { role: string; state: string; pid: number }[];
        };
        assert.equal(
          up.components.map((component) => component.role),
          ['registry', 'lb', 'backend', 'backend', 'backend'],
        );
        assert.ok(
          up.components.every((component) => component.state === 'ready'),
          'every component ready',
        );
        // Every role is this binary re-run (no node, no script path): 1 supervisor + 5 children.
        assert.is(findPidsMentioning(lbxFile).length, 6, 'six processes run the binary');
        // The young-generation cap reaches the roles through NODE_OPTIONS (a SEA takes no node flags on its command line).
        const backendPid = up.components.find((component) => component.role === 'backend')?.pid ?? 0;
        const backendEnv = readFileSync(`/proc/${backendPid}/environ`, 'utf8').split('\0');
        assert.ok(backendEnv.includes('NODE_OPTIONS=--max-semi-space-size=1'), `backend NODE_OPTIONS: ${backendEnv.filter((entry) => entry.startsWith('NODE_OPTIONS'))}`);

        assert.match(await lbxOk(['send', '--simple', '500', '--heavy', '10']), /sent 510\s+ok 510\s+failed 0/);
        await lbxOk(['kill', String(KILLED_PORT)]);
        assert.match(await lbxOk(['send', '--simple', '200']), /sent 200\s+ok 200\s+failed 0/);

        const report = JSON.parse(await lbxOk(['report', '--json'])) as {
          reconciliation: { matches: boolean };
          backends: { address: string; clientOk: number; servedSimple: number; servedHeavy: number }[];
        };
        assert.ok(report.reconciliation.matches, 'reconciliation matches');
        const served = report.backends.reduce((sum, backend) => sum + backend.servedSimple + backend.servedHeavy, 0);
        assert.is(served, 710, 'every request served once');

        await lbxOk(['down']);
        assert.ok(await eventually(() => findPidsMentioning(dir).length === 0, 5_000), `no process left: ${findPidsMentioning(dir).join(', ')}`);
      })(),
      120_000,
      'binary user flow',
    );
  });
}

binary.run();
