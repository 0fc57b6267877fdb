// lbx send's lean path with the real CLI: tasks on a ProcessTasks stream per backend (picks in batches), the unary path
// beside it, send --workers, and a backend SIGKILLed under streamed load; every run reconciles with what backends served.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';

interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number>; backends: Array<{ address: string; ok: number }> };
}
interface ReportJson {
  reconciliation: { matches: boolean };
  backends: Array<{ address: string; clientOk: number; servedSimple: number; servedHeavy: number }>;
}

const TEST_TIMEOUT_MS = 120_000;
const sandbox = createSandbox('send-transport');
const cluster = defineCluster<unknown, RunJson, ReportJson>(sandbox, 'transport', await freeBasePort());
const test = suite('send: task streams, picks in batches, --workers');

test.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

const okCounts = (run: RunJson): number[] => [run.summary.sent, run.summary.ok, run.summary.failed];

test('task streams (default), unary tasks, gRPC and unary picks and --workers 2 each end every task once and reconcile; a SIGKILL under streamed load fails none', async () => {
  await withCluster(sandbox, cluster, ['--backends', '3', '--policy', 'rr'], TEST_TIMEOUT_MS, async () => {
    const streamed = await cluster.send(['--simple', '1500', '--heavy', '20', '--concurrency', '32']);
    assert.equal(okCounts(streamed), [1520, 1520, 0], JSON.stringify(streamed.summary.failuresByReason));
    assert.equal(streamed.summary.backends.length, 3, 'round robin reached every backend');

    const unary = await cluster.send(['--simple', '600', '--task-transport', 'unary']);
    assert.equal(okCounts(unary), [600, 600, 0]);

    // Picks on the LB's gRPC stream and as unary GetServer calls, beside the pick socket (the default, above).
    for (const pickTransport of ['stream', 'unary']) {
      const picked = await cluster.send(['--simple', '600', '--heavy', '5', '--pick-transport', pickTransport]);
      assert.equal(okCounts(picked), [605, 605, 0], `--pick-transport ${pickTransport}: ${JSON.stringify(picked.summary.failuresByReason)}`);
      assert.equal(picked.summary.backends.length, 3, `--pick-transport ${pickTransport}: round robin reached every backend`);
    }

    const workers = await cluster.send(['--simple', '1500', '--concurrency', '32', '--workers', '2']);
    assert.equal(okCounts(workers), [1500, 1500, 0], JSON.stringify(workers.summary.failuresByReason));
    assert.equal(
      workers.summary.backends.reduce((total, backend) => total + backend.ok, 0),
      1500,
      'the workers’ per-backend counts add up in the one ledger',
    );

    // A backend SIGKILLed while streamed tasks are in flight on it: its stream fails them, they are retried elsewhere.
    const victim = cluster.backend(2);
    const pending = cluster.send(['--simple', '20000', '--concurrency', '32']);
    const picked = await eventually(async () => (await cluster.lbStats()).picks > 3_000, 60_000);
    assert.ok(picked, 'the send got going');
    const kill = await cluster.run(['kill', String(victim.port)]);
    assert.equal(kill.exitCode, 0, kill.stderr);
    const killedRun = await pending;
    assert.equal(okCounts(killedRun), [20000, 20000, 0], JSON.stringify(killedRun.summary.failuresByReason));

    const report = await cluster.report();
    assert.ok(report.reconciliation.matches, `reconciliation: ${JSON.stringify(report.backends)}`);
  });
});

test('--workers is checked before anything is sent: more than --concurrency, or with --client xds, exits 2 naming both', async () => {
  const tooMany = await sandbox.run(['send', '--workers', '5', '--concurrency', '4', '--name', 'none-here']);
  assert.equal(tooMany.exitCode, 2, tooMany.stderr);
  assert.match(tooMany.stderr, /--workers 5 is more than --concurrency 4/);
  const xds = await sandbox.run(['send', '--workers', '2', '--client', 'xds', '--name', 'none-here']);
  assert.equal(xds.exitCode, 2, xds.stderr);
  assert.match(xds.stderr, /--workers works with --client lbx only/);
  for (const flag of ['--task-transport', '--pick-transport']) {
    const bad = await sandbox.run(['send', flag, 'carrier-pigeon']);
    assert.equal(bad.exitCode, 2, bad.stderr);
    assert.match(bad.stderr, /carrier-pigeon/);
  }
});

test.run();
