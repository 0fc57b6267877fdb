// Bad input gets a clear error naming the value, a non-zero exit, and never harms a running cluster or leaves processes.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { execa } from 'execa';

import { portLayout, portsToBind } from '../../src/runtime/cluster/ports.js';
import { isProcessAlive } from '../../src/runtime/process/pid-probe.js';
import { checkDocument } from '../helpers/json-schema-doc.js';
import { createSandbox, eventually, findPidsMentioning, killLeftovers, LBX_BIN } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';

/** Free ports for clusters at BASE_PORT, +200, +400, +600 (16 backends) and +800 (IPv6 loopback). */
const BASE_PORT = await freeBasePort({ span: 1_000 });
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
    // The hint names a base port whose whole layout is free now, not a guess.
    const suggested = /--base-port (\d+) is free/.exec(result.stderr);
    assert.ok(suggested, result.stderr);
    const busy = await Promise.all(portsToBind(portLayout(Number(suggested[1])), 4, 'embedded').map((entry) => isPortInUse(entry.port)));
    assert.not.ok(busy.some(Boolean), `a port of the suggested --base-port ${suggested[1]} is in use`);
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

/** Whether something listens on 127.0.0.1:`port`. */
function isPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

// ---------------------------------------------------------------- usability: commands, help, durations, hosts, state home
const plain = createSandbox('bad-usability');
const usability = suite('usability errors (issue 11)');
usability.after(() => {
  killLeftovers(plain);
  plain.dispose();
});

usability('a mistyped command is a usage error suggesting the nearest one, in JSON with --json', async () => {
  const typo = await plain.run(['sned', '--simple', '10']);
  assert.equal(typo.exitCode, 2, typo.stderr);
  assert.match(typo.stderr, /"sned" is not an lbx command\n {2}did you mean: lbx send\?/);
  const json = await plain.run(['stauts', '--json']);
  assert.equal(json.exitCode, 2);
  const error = (JSON.parse(json.stdout) as { error: { code: string; exitCode: number; message: string; suggestions: string[] } }).error;
  assert.equal([error.code, error.exitCode], ['usage', 2]);
  assert.match(error.suggestions.join(' '), /lbx status/);
  const nothingClose = await plain.run(['deploy']);
  assert.equal(nothingClose.exitCode, 2);
  assert.not.match(nothingClose.stderr, /did you mean/);
});

usability('help <command>, -h, version and -v follow oclif conventions', async () => {
  const help = await plain.run(['help', 'send']);
  assert.equal(help.exitCode, 0, help.stderr);
  assert.match(help.stdout, /\$ lbx send /);
  assert.match(help.stdout, /--max-error-rate=<N%\|fraction>/);
  const short = await plain.run(['up', '-h']);
  assert.match(short.stdout, /\$ lbx up /);
  const root = await plain.run(['-h']);
  assert.match(root.stdout, /^A load-balancing lab/);
  assert.match(root.stdout, /\n {2}ps|status/);
  const typo = await plain.run(['help', 'sned']);
  assert.equal(typo.exitCode, 2);
  assert.match(typo.stderr, /did you mean: lbx send\?/);
  const version = await plain.run(['version']);
  assert.equal(version.exitCode, 0);
  assert.match(version.stdout, /^lbx\/\d+\.\d+\.\d+ /);
  assert.equal((await plain.run(['-v'])).stdout, version.stdout);
  const json = await plain.json<{ version: string; node: string }>(['version']);
  assert.match(json.version, /^\d+\.\d+\.\d+/);
  assert.equal(json.node, process.versions.node);
});

usability('a parse error names the command in its hint', async () => {
  const result = await plain.run(['scale', '--backends', '0']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /see: lbx scale --help/);
  assert.not.match(result.stderr, /<command>/);
});

usability('durations take units everywhere; a bad one names the flag, the value and the forms', async () => {
  for (const [args, pattern] of [
    [['up', '--timeout', 'soon'], /--timeout "soon" is not a duration: expected .*500ms, 30s, 2m.*bare number of milliseconds, from 1s to 10m/],
    [['up', '--report-interval', '10ms'], /--report-interval "10ms" is out of range: expected from 50ms to 1m/],
    [['chaos', '--interval', '50ms'], /--interval "50ms" is out of range: expected from 100ms to 10m/],
    [['chaos', '--duration', '2 hours'], /--duration "2 hours" is not a duration/],
    [['top', '--interval', '1x'], /--interval "1x" is not a duration/],
    [['report', '--watch', '--interval=-1s'], /--interval "-1s" is not a duration/],
  ] as const) {
    // Parsed before any cluster is looked up: the same usage error with or without one.
    const result = await plain.run(args[0] === 'up' ? [...args, '--base-port', String(BASE_PORT)] : [...args]);
    assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
  }
});

usability('consistent-hash settings with another policy are refused', async () => {
  const policy = await plain.run(['policy', 'rr', '--hash-balance', '2']);
  assert.equal(policy.exitCode, 2, policy.stderr);
  assert.match(policy.stderr, /--hash-balance applies to consistent_hash \(ch\) only, not round_robin/);
  const up = await plain.run(['up', '--policy', 'random', '--vnodes', '3', '--base-port', String(BASE_PORT)]);
  assert.equal(up.exitCode, 2);
  assert.match(up.stderr, /--vnodes applies to consistent_hash \(ch\) only, not random/);
  assert.equal(plain.leftoverPids(), []);
});

usability('report --html "" is a usage error', async () => {
  const result = await plain.run(['report', '--html', '']);
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /--html needs a file name/);
});

usability('--host: empty, or not an address of this machine, is a usage error saying so (not "port in use")', async () => {
  const empty = await plain.run(['up', '--host', '', '--base-port', String(BASE_PORT)]);
  assert.equal(empty.exitCode, 2, empty.stderr);
  assert.match(empty.stderr, /--host is empty: expected an address of this machine/);
  // TEST-NET-2 (RFC 5737): documentation only, on no interface here.
  const foreign = '198.51.100.77';
  assert.not.ok(
    Object.values(os.networkInterfaces())
      .flat()
      .some((entry) => entry?.address === foreign),
    `${foreign} is an address of this machine`,
  );
  const result = await plain.run(['up', '--host', foreign, '--base-port', String(BASE_PORT)]);
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /--host "198\.51\.100\.77" is not an address of this machine/);
  assert.match(result.stderr, /127\.0\.0\.1/, 'lists the addresses it has');
  assert.not.match(result.stderr, /in use/);
  assert.equal(plain.leftoverPids(), []);
});

usability('an LBX_HOME that is a file is a usage error for every command', async () => {
  const file = path.join(plain.home, 'not-a-dir');
  writeFileSync(file, 'x');
  for (const args of [['status'], ['up', '--base-port', String(BASE_PORT)], ['logs']]) {
    const result = await plain.run(args, { env: { LBX_HOME: file } });
    assert.equal(result.exitCode, 2, `${args[0]}: ${result.stderr}`);
    assert.match(result.stderr, new RegExp(`LBX_HOME ${file} is not a directory`));
  }
});

usability('a read-only LBX_HOME is a usage error for up, before anything starts', async () => {
  const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-test-readonly-'));
  chmodSync(home, 0o555);
  try {
    // Root writes through mode bits: run lbx as nobody then.
    const asUser = process.getuid?.() === 0 ? { uid: 65_534, gid: 65_534 } : {};
    const { FORCE_COLOR: _forceColor, ...env } = plain.env;
    const result = await execa(process.execPath, [LBX_BIN, 'up', '--base-port', String(BASE_PORT)], {
      env: { ...env, LBX_HOME: home, HOME: home },
      reject: false,
      timeout: 60_000,
      stdin: 'ignore',
      ...asUser,
    });
    assert.equal(result.exitCode, 2, String(result.stderr));
    assert.match(String(result.stderr), new RegExp(`LBX_HOME ${home} is not writable \\((EACCES|EROFS|EPERM)\\)`));
    assert.equal(findPidsMentioning(home), []);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

usability('logs -n is lines, and no command takes -n for the cluster name any more', async () => {
  const logs = await plain.run(['logs', '-n', 'x']);
  assert.equal(logs.exitCode, 2);
  assert.match(logs.stderr, /--lines/);
  const status = await plain.run(['status', '-n', 'lab']);
  assert.equal(status.exitCode, 2, status.stderr);
  assert.match(status.stderr, /-n/);
});

usability('ps is status', async () => {
  const result = await plain.run(['ps']);
  assert.equal(result.exitCode, 3, result.stderr);
  assert.match(result.stderr, /no cluster "default" is running/);
});

usability.run();

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
  assert.ok(
    status.components.every((component) => component.health === 'serving'),
    'cluster still healthy',
  );
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

running('ps lists the same components as status', async () => {
  const ps = await live.json<{ components: Array<{ name: string }> }>(['ps']);
  const status = await live.json<{ components: Array<{ name: string }> }>(['status']);
  assert.equal(
    ps.components.map((component) => component.name),
    status.components.map((component) => component.name),
  );
});

running('report fits 100 columns; --wide has every column', async () => {
  await live.json(['send', '--simple', '20']);
  const plainText = await live.run(['report']);
  assert.equal(plainText.exitCode, 0, plainText.stderr);
  const tooWide = plainText.stdout.split('\n').filter((line) => [...line].length > 100);
  assert.equal(tooWide, [], 'lines over 100 columns');
  const wide = await live.run(['report', '--wide']);
  for (const head of ['SPEED', 'WEIGHT', 'LB VIEW', 'JOINED', 'LEFT', 'RESTARTS', 'SIMPLE', 'HEAVY', 'LB ASSIGNED', 'IN FLIGHT', 'SPLIT'])
    assert.match(wide.stdout, new RegExp(head));
});

/** Numbers in a --json document that are not rounded (durations of 10 ms or more in whole ms, the rest to three decimals), by path. */
function unroundedNumbers(value: unknown, at = '', key = ''): string[] {
  if (typeof value === 'number') {
    const isDuration = /Ms$/.test(key) && Math.abs(value) >= 10;
    const isRounded = isDuration ? Number.isInteger(value) : Math.round(value * 1_000) / 1_000 === value;
    return isRounded ? [] : [`${at}: ${value}`];
  }
  if (Array.isArray(value)) return value.flatMap((element, index) => unroundedNumbers(element, `${at}[${index}]`, key));
  if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([name, child]) => unroundedNumbers(child, at ? `${at}.${name}` : name, name));
  return [];
}

running('real send and report documents: every field documented, every number rounded', async () => {
  const send = await live.json<unknown>(['send', '--simple', '30', '--heavy', '3']);
  assert.equal(checkDocument('lbx.send/v1', send), []);
  const report = await live.json<unknown>(['report']);
  assert.equal(checkDocument('lbx.report/v1', report), []);
  for (const document of [send, report, await live.json<unknown>(['status']), await live.json<unknown>(['top', '--count', '1', '--interval', '100ms'])]) {
    assert.equal(unroundedNumbers(document), []);
  }
});

running('durations with units work on a live cluster: top --interval 250ms, report --watch --interval 0.5s', async () => {
  const top = await live.json<{ snapshots: unknown[] }>(['top', '--interval', '250ms', '--count', '2']);
  assert.equal(top.snapshots.length, 2);
  const watch = await live.run(['report', '--watch', '--interval', '0.5s', '--count', '1']);
  assert.equal(watch.exitCode, 0, watch.stderr);
});

running.run();

// ---------------------------------------------------------------- IPv6 loopback
const hasIpv6Loopback = Object.values(os.networkInterfaces())
  .flat()
  .some((entry) => entry?.address === '::1');
const v6 = createSandbox('bad-ipv6');
const ipv6 = suite('--host ::1 (IPv6 loopback)');
ipv6.after(async () => {
  await v6.run(['down']).catch(() => undefined);
  killLeftovers(v6);
  v6.dispose();
});

ipv6('a cluster on ::1 starts, serves a send through bracketed addresses, and stops', async () => {
  if (!hasIpv6Loopback) {
    console.warn('SKIPPED --host ::1: this machine has no IPv6 loopback');
    return;
  }
  const up = await v6.json<{ lbAddress: string; components: Array<{ address: string }> }>([
    'up',
    '--host',
    '::1',
    '--backends',
    '2',
    '--registry',
    'embedded',
    '--timeout',
    '2m',
    '--base-port',
    String(BASE_PORT + 800),
  ]);
  assert.equal(up.lbAddress, `[::1]:${BASE_PORT + 900}`);
  assert.ok(
    up.components.every((component) => component.address.startsWith('[::1]:')),
    JSON.stringify(up.components),
  );
  const send = await v6.json<{ summary: { ok: number; failed: number; backends: Array<{ address: string }> } }>(['send', '--simple', '50']);
  assert.equal([send.summary.ok, send.summary.failed], [50, 0], v6.logs());
  assert.equal(send.summary.backends.map((backend) => backend.address).sort(), [`[::1]:${BASE_PORT + 801}`, `[::1]:${BASE_PORT + 802}`]);
  const down = await v6.json<{ outcome: string }>(['down']);
  assert.equal(down.outcome, 'stopped');
  assert.equal(v6.leftoverPids(), []);
});

ipv6.run();

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
