// lbx top and report --watch against a real cluster: plain lines when not a terminal, and in a pseudo-terminal (util-linux `script`) it draws and quits on q.
import { spawn, spawnSync } from 'node:child_process';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, eventually, killLeftovers, LBX_BIN } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort();
const BACKENDS = [`127.0.0.1:${BASE_PORT + 1}`, `127.0.0.1:${BASE_PORT + 2}`];
const ENTER_ALT_SCREEN = '\u001B[?1049h';
const LEAVE_ALT_SCREEN = '\u001B[?1049l';
const SHOW_CURSOR = '\u001B[?25h';
const HIDE_CURSOR = '\u001B[?25l';
const HAS_SCRIPT = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).stdout.trim() !== '';

const sandbox = createSandbox('live');
const live = suite('live view: lbx top and lbx report --watch');

live.before(async () => {
  const up = await sandbox.run(['up', '--backends', '2', '--base-port', String(BASE_PORT)], { timeoutMs: 60_000 });
  if (up.exitCode !== 0) throw new Error(`up failed (${up.exitCode}): ${up.stderr}\n${sandbox.logs()}`);
  const send = await sandbox.run(['send', '--simple', '200'], { timeoutMs: 60_000 });
  if (send.exitCode !== 0) throw new Error(`send failed (${send.exitCode}): ${send.stderr}`);
});

live.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

live('top --count 2 without a terminal prints one plain line per backend per refresh and exits 0', async () => {
  const result = await sandbox.run(['top', '--count', '2', '--interval', '200'], { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.not.match(result.stdout, /\u001B/, 'no escape sequences in plain output');
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, 4, result.stdout);
  for (const address of BACKENDS) {
    const mine = lines.filter((line) => line.includes(` ${address} `));
    assert.equal(mine.length, 2, `two lines for ${address}:\n${result.stdout}`);
    for (const line of mine) assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z backend-\d+ \S+ health=serving ejected=no .* policy=round_robin lbPicksPerSecond=/);
    // The send before served 100 on each (round robin): the overall share is known from the first refresh.
    assert.match(mine[0] ?? '', /overall=50\.0% served=100 /);
    assert.match(mine[1] ?? '', /rps=0 window=- /);
  }
});

live('report --watch --count 1 is the same view', async () => {
  const result = await sandbox.run(['report', '--watch', '--count', '1'], { timeoutMs: 20_000 });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.equal(result.stdout.trim().split('\n').length, 2, result.stdout);
  for (const address of BACKENDS) assert.ok(result.stdout.includes(` ${address} health=serving`), result.stdout);
});

live('bad --interval and --count are usage errors', async () => {
  for (const args of [
    ['--interval', '5'],
    ['--interval', 'soon'],
    ['--count', '0'],
  ]) {
    const result = await sandbox.run(['top', ...args], { timeoutMs: 20_000 });
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
  }
});

/** Runs `command` (a shell line) in a pseudo-terminal, presses q once `isDrawn(output)` holds, and returns how it ended. */
async function pressQWhenDrawn(command: string, isDrawn: (output: string) => boolean): Promise<{ code: number | null; output: string; errors: string }> {
  const child = spawn('script', ['-qfec', command, '/dev/null'], { env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const drew = await eventually(() => isDrawn(output), 15_000);
    assert.ok(drew, `the view drew; output so far: ${JSON.stringify(output.slice(-500))} ${errors}`);
    child.stdin.write('q');
    const code = await withTimeout(exited, 10_000, 'the view to quit on q');
    return { code, output, errors };
  } finally {
    if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
  }
}

live('top in a pseudo-terminal draws the backends on the alternate screen and quits on q, the terminal restored', async () => {
  if (!HAS_SCRIPT) {
    console.log('  skipped: util-linux `script` is not on PATH');
    return;
  }
  const { code, output, errors } = await pressQWhenDrawn(
    `'${process.execPath}' '${LBX_BIN}' top --interval 200`,
    (so) => BACKENDS.every((address) => so.includes(address)) && so.includes('lbx top · cluster "default"'),
  );
  assert.equal(code, 0, `exit code; stderr: ${errors}`);
  assert.ok(output.startsWith(ENTER_ALT_SCREEN + HIDE_CURSOR), `starts on the alternate screen: ${JSON.stringify(output.slice(0, 40))}`);
  assert.ok(output.endsWith(LEAVE_ALT_SCREEN + SHOW_CURSOR), `ends by leaving the alternate screen and showing the cursor: ${JSON.stringify(output.slice(-80))}`);
  assert.equal(output.split(ENTER_ALT_SCREEN).length - 1, 1, 'entered the alternate screen once');
  assert.equal(output.split(LEAVE_ALT_SCREEN).length - 1, 1, 'left it once');
});

live('report --watch in a pseudo-terminal quits on q and leaves the terminal in cooked mode (stty after it shows icanon and echo)', async () => {
  if (!HAS_SCRIPT) {
    console.log('  skipped: util-linux `script` is not on PATH');
    return;
  }
  const { code, output, errors } = await pressQWhenDrawn(
    `sh -c "'${process.execPath}' '${LBX_BIN}' report --watch --interval 200; echo STTY-AFTER; stty -a"`,
    (so) => BACKENDS.every((address) => so.includes(address)) && so.includes('lbx report --watch'),
  );
  assert.equal(code, 0, `exit code; stderr: ${errors}`);
  const after = output.slice(output.indexOf('STTY-AFTER'));
  assert.ok(after.length > 'STTY-AFTER'.length, `stty ran after the view: ${JSON.stringify(output.slice(-300))}`);
  // Raw mode turns both off; the view must have turned them back on.
  assert.match(after, /(^|[\s;])icanon([\s;]|$)/m, `canonical mode restored: ${after}`);
  assert.match(after, /(^|[\s;])echo([\s;]|$)/m, `echo restored: ${after}`);
});

live.run();
