// Ctrl-C during send and bench, as k6 and ghz do it: the first stops issuing tasks and keeps the partial run,
// the second aborts; report reconciles interrupted and bench runs and says when a run is still in progress.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

import { execa, type ResultPromise } from 'execa';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, eventually, killLeftovers, LBX_BIN } from '../helpers/lbx-cli.js';
import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const BASE_PORT = await freeBasePort({ span: 200 });
const TEST_TIMEOUT_MS = 120_000;
/** Far more tasks than a test lets run: the interrupt, not the count, ends them. */
const ENDLESS_TASKS = '2000000';

interface RunJson {
  interrupted?: boolean;
  planned: number;
  summary: { sent: number; ok: number; failed: number };
}
interface ReportJson {
  reconciliation: { matches: boolean };
  inProgress: Array<{ pid: number; command: string }>;
  runs: RunJson[];
}

const sandbox = createSandbox('interrupt');
const interrupt = suite('Ctrl-C during send and bench');
interrupt.after(() => {
  killLeftovers(sandbox);
  sandbox.dispose();
});

const cluster = defineCluster<unknown, RunJson, ReportJson>(sandbox, 'default', BASE_PORT);
const runsDir = path.join(sandbox.home, 'default', 'runs');

/** Starts an lbx command in the background, as a user's terminal would run it; `stderrSoFar()` is what it printed there yet. */
function startLbx(args: readonly string[]): ResultPromise & { stderrSoFar(): string } {
  const child = execa(process.execPath, [LBX_BIN, ...args], { env: sandbox.env, reject: false, stdin: 'ignore', timeout: TEST_TIMEOUT_MS });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return Object.assign(child, { stderrSoFar: () => stderr });
}

/** Waits until the run in progress has a marker (it is sending), bounded. */
async function waitUntilSending(): Promise<void> {
  const isSending = (): boolean => existsSync(runsDir) && readdirSync(runsDir).some((name) => name.endsWith('.running'));
  assert.ok(await eventually(isSending, 20_000), 'the run marked itself in progress');
}

interrupt('send: report says in progress; the first SIGINT ends the run with its partial figures saved, exit 130; report reconciles', async () => {
  await withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
    const send = startLbx(['send', '--simple', ENDLESS_TASKS, '--concurrency', '8', '--json']);
    await waitUntilSending();
    const during = await cluster.report();
    assert.equal(
      during.inProgress.map((run) => run.pid),
      [send.pid],
      'report names the send in progress',
    );
    const text = await cluster.run(['report']);
    assert.not.match(text.stdout, /MISMATCH/);
    assert.match(text.stdout, /in progress/);

    send.kill('SIGINT');
    const ended = await send;
    assert.equal(ended.exitCode, 130, String(ended.stderr));
    const run = JSON.parse(String(ended.stdout)) as RunJson;
    assert.equal(run.interrupted, true);
    assert.equal(run.planned, Number(ENDLESS_TASKS));
    assert.ok(run.summary.sent > 0 && run.summary.sent < run.planned, `a partial run: ${run.summary.sent} of ${run.planned}`);
    assert.equal(run.summary.sent, run.summary.ok + run.summary.failed, 'every started task ended once');

    const after = await cluster.report();
    assert.equal(after.inProgress, []);
    assert.equal(after.runs.length, 1, 'the interrupted run was saved');
    assert.ok(after.reconciliation.matches, 'report reconciles the interrupted run');
  });
});

interrupt('send without a terminal prints a heartbeat (rate, elapsed, ETA, failures); a second SIGINT aborts at once', async () => {
  await withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
    const send = startLbx(['send', '--heavy', ENDLESS_TASKS, '--concurrency', '4', '--work-units', '2000']);
    await waitUntilSending();
    const heartbeat = /sending: [\d,]+\/2,000,000 \([\d.]+%\) · [\d,]+\/s · \d+s elapsed · ETA \S+ · 0 failed/;
    assert.ok(await eventually(() => heartbeat.test(send.stderrSoFar()), 20_000), `a heartbeat line within 20 s: ${send.stderrSoFar()}`);
    send.kill('SIGINT');
    assert.ok(await eventually(() => /no new tasks/.test(send.stderrSoFar()), 10_000), 'the first SIGINT was taken');
    send.kill('SIGINT');
    const ended = await send;
    assert.equal(ended.exitCode, 130);
    assert.match(String(ended.stderr), /aborted/);
  });
});

interrupt('bench --name on a running cluster: its runs are saved, report reconciles; SIGINT ends it with partial results, exit 130', async () => {
  await withCluster(sandbox, cluster, ['--backends', '2'], TEST_TIMEOUT_MS, async () => {
    const bench = await cluster.run(['bench', '--policies', 'rr,lc', '--simple', '300']);
    assert.equal(bench.exitCode, 0, bench.stderr);
    const report = await cluster.report();
    assert.equal(report.runs.length, 2, 'one run per policy');
    assert.ok(report.reconciliation.matches, 'bench runs reconcile');

    const endless = startLbx(['bench', '--name', 'default', '--policies', 'rr,lc', '--simple', ENDLESS_TASKS, '--json']);
    await waitUntilSending();
    endless.kill('SIGINT');
    const ended = await endless;
    assert.equal(ended.exitCode, 130, String(ended.stderr));
    const result = JSON.parse(String(ended.stdout)) as { interrupted?: boolean; policies: Array<{ policy: string; interrupted?: boolean }> };
    assert.equal(result.interrupted, true);
    assert.equal(
      result.policies.map((entry) => entry.interrupted),
      [true],
      'only the first policy ran, cut short',
    );
    assert.ok((await cluster.report()).reconciliation.matches, 'report reconciles after the interrupted bench');
  });
});

interrupt.run();
