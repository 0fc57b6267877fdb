// HAProxy and NGINX as a proxy-mode cluster's data plane (up --mode proxy --proxy haproxy|nginx): real processes,
// free ports. Each: sends split over every backend and reconcile; kill and rm under load cost no call; an added
// backend gets traffic; policy switches and refusals; down leaves no process, socket or pid file.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, findPidsMentioning, killLeftovers, type LbxSandbox } from '../helpers/lbx-cli.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { findSystemExecutable } from '../../src/runtime/registry/find-executable.js';

interface RunJson {
  mode: string;
  policy: string;
  summary: { ok: number; failed: number; backends: Array<{ address: string; ok: number }> };
}
interface ReportJson {
  reconciliation: { matches: boolean };
}

const KINDS = ['haproxy', 'nginx'] as const;
const BACKENDS = 3;

/** ok per backend port, from a run. */
const okByPort = (run: RunJson): Map<number, number> => new Map(run.summary.backends.map((backend) => [Number(backend.address.split(':').pop()), backend.ok]));

function dataPlaneSuite(kind: (typeof KINDS)[number], basePort: number): void {
  const binary = findSystemExecutable(kind);
  if (binary === undefined) {
    console.log(`${kind} data plane: skipped — no ${kind} binary on PATH or in /usr/sbin (apt-get install ${kind}; npm run setup installs it)`);
    return;
  }
  const sandbox: LbxSandbox = createSandbox(`dp-${kind}`);
  const test = suite(`--proxy ${kind}`);
  const clusterDir = path.join(sandbox.home, 'default');
  const failWithLogs = (message: string): string => `${message}\n${sandbox.logs()}`;

  test.before(async () => {
    await withTimeout(
      sandbox.json(['up', '--mode', 'proxy', '--proxy', kind, '--policy', 'lc', '--backends', String(BACKENDS), '--registry', 'embedded', '--base-port', String(basePort)]),
      60_000,
      `up --proxy ${kind}`,
    );
  });

  test.after(async () => {
    await sandbox.run(['down']).catch(() => undefined);
    killLeftovers(sandbox);
    sandbox.dispose();
  });

  test('send goes through the data plane, splits over every backend, and reconciles', async () => {
    const run = await withTimeout(sandbox.json<RunJson>(['send', '--simple', '2000', '--concurrency', '32']), 90_000, 'send 2000');
    assert.equal([run.mode, run.policy, run.summary.ok, run.summary.failed], ['proxy', 'least_connections', 2000, 0]);
    const counts = okByPort(run);
    assert.equal([...counts.keys()].sort(), [basePort + 1, basePort + 2, basePort + 3], 'ok counts name the real backends');
    for (const [port, ok] of counts) assert.ok(ok > 2000 / BACKENDS / 3, `backend ${port} got only ${ok} of 2000`);
    const report = await sandbox.json<ReportJson>(['report']);
    assert.ok(report.reconciliation.matches, failWithLogs('client ok equals what each backend served'));
    const status = await sandbox.json<{ components: Array<{ role: string; name: string; address: string; health: string }> }>(['status']);
    assert.equal(
      status.components.filter((component) => component.role === 'dataplane').map((component) => [component.name, component.address, component.health]),
      [[kind, `127.0.0.1:${basePort + 108}`, 'serving']],
    );
  });

  test('a backend SIGKILLed under load costs no call', async () => {
    const sending = sandbox.json<RunJson>(['send', '--simple', '3000', '--concurrency', '32']);
    await sleep(1_500);
    const kill = await sandbox.run(['kill', String(basePort + 1)]);
    assert.is(kill.exitCode, 0, kill.stderr);
    const run = await withTimeout(sending, 90_000, 'send during kill');
    assert.equal([run.summary.ok, run.summary.failed], [3000, 0], failWithLogs('kill under load'));
    const start = await sandbox.run(['start', String(basePort + 1)]);
    assert.is(start.exitCode, 0, start.stderr);
  });

  test('rm under load costs no call; an added backend gets traffic', async () => {
    const sending = sandbox.json<RunJson>(['send', '--simple', '2000', '--concurrency', '32']);
    await sleep(1_000);
    const rm = await sandbox.run(['rm', String(basePort + 2)]);
    assert.is(rm.exitCode, 0, rm.stderr);
    const run = await withTimeout(sending, 90_000, 'send during rm');
    assert.equal([run.summary.ok, run.summary.failed], [2000, 0], failWithLogs('rm under load'));
    const add = await sandbox.run(['scale', '--backends', String(BACKENDS + 1)]);
    assert.is(add.exitCode, 0, add.stderr);
    // The data plane follows the LB's plan within a poll (200 ms).
    await sleep(1_000);
    const after = await withTimeout(sandbox.json<RunJson>(['send', '--simple', '1000', '--concurrency', '16']), 60_000, 'send after scale');
    assert.is(after.summary.failed, 0);
    const counts = okByPort(after);
    assert.equal([...counts.keys()].sort(), [basePort + 1, basePort + 2, basePort + 3, basePort + 4], failWithLogs('every backend, old and new, served'));
    for (const [port, ok] of counts) assert.ok(ok > 0, `backend ${port} got nothing`);
  });

  test('policy: a supported one switches the data plane; an unsupported one is refused and nothing changes', async () => {
    const ewma = await sandbox.run(['policy', 'ewma']);
    assert.is(ewma.exitCode, 2, ewma.stderr);
    assert.match(ewma.stderr, `the ${kind} data plane has no policy "peak_ewma"; it supports: round_robin, least_connections, power_of_two, weighted_round_robin, consistent_hash`);
    const wrr = await sandbox.run(['policy', 'wrr']);
    assert.is(wrr.exitCode, 0, wrr.stderr);
    await sleep(1_000);
    const run = await withTimeout(sandbox.json<RunJson>(['send', '--simple', '800', '--concurrency', '16']), 60_000, 'send after policy');
    assert.equal([run.policy, run.summary.ok, run.summary.failed], ['weighted_round_robin', 800, 0]);
    const config = path.join(clusterDir, kind, kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf');
    assert.ok(existsSync(config), `${config} exists while the cluster runs`);
  });

  test('down leaves no proxy process, socket or pid file', async () => {
    const pidFile = path.join(clusterDir, kind, `${kind}.pid`);
    assert.ok(existsSync(pidFile), `${pidFile} exists while the cluster runs`);
    const down = await sandbox.run(['down']);
    assert.is(down.exitCode, 0, down.stderr);
    assert.equal(findPidsMentioning(clusterDir), [], 'no process mentions the cluster directory');
    assert.not.ok(existsSync(clusterDir), 'the cluster directory (config, socket, pid file) is gone');
  });

  test.run();
}

const basePorts = [await freeBasePort(), await freeBasePort()];
KINDS.forEach((kind, index) => dataPlaneSuite(kind, basePorts[index]!));

const usage = suite('--proxy usage errors');
const usageSandbox = createSandbox('dp-usage');
usage.after(() => usageSandbox.dispose());

usage('--proxy haproxy without --mode proxy, and an unsupported policy, are usage errors before anything starts', async () => {
  const lookaside = await usageSandbox.run(['up', '--proxy', 'haproxy']);
  assert.is(lookaside.exitCode, 2);
  assert.match(lookaside.stderr, '--proxy haproxy needs --mode proxy');
  const ewma = await usageSandbox.run(['up', '--mode', 'proxy', '--proxy', 'nginx', '--policy', 'ewma']);
  assert.is(ewma.exitCode, 2);
  assert.match(ewma.stderr, 'the nginx data plane has no policy "peak_ewma"');
});

usage.run();
