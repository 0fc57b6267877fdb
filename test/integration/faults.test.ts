// Fault tolerance with real processes: a backend SIGKILLed under load, respawn with backoff, chaos under load,
// a SIGKILLed supervisor and a SIGKILLed LB. Each test has its own cluster (name and base port) and tears it down.
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';
import { defineCluster as defineTestCluster, withCluster as withTestCluster, type TestCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { afterCrash } from '../../src/core/supervision/restart-backoff.js';

/** This file's ports: a free range with room for slots 0–19, one layout per test, PORT_STEP apart. */
const BASE_PORT = await freeBasePort({ span: 2_400 });
const PORT_STEP = 110;
const TEST_TIMEOUT_MS = 90_000;

interface Component {
  name: string;
  role: string;
  address: string;
  pid: number;
  state: string;
  restarts: number;
  exitReason?: string;
}
interface StatusJson {
  supervisorPid: number;
  respawn: boolean;
  components: Component[];
}
interface BackendOk {
  address: string;
  ok: number;
  errors: number;
}
interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number>; backends: BackendOk[] };
}
interface ReconcileRow {
  address: string;
  clientOk: number;
  backendServed: number;
  failedAttempts: number;
  lostAnswers: number;
}
interface ReportJson {
  picks: number;
  backends: Array<{ address: string; state: string; servedSimple: number; servedHeavy: number; servedSource: string; clientOk: number; restarts: number }>;
  reconciliation: { matches: boolean; rows: ReconcileRow[] };
}
interface ChaosJson {
  killed: number;
  started: number;
  skipped: number;
  failed: number;
  actions: Array<{ kind: string; component: string; detail: string }>;
}

const sandbox = createSandbox('faults');
const faults = suite('faults: crashes under load, respawn, chaos, supervisor and LB crashes');

faults.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

type Cluster = TestCluster<StatusJson, RunJson, ReportJson>;

const defineCluster = (name: string, slot: number): Cluster => defineTestCluster<StatusJson, RunJson, ReportJson>(sandbox, name, BASE_PORT + slot * PORT_STEP);
const clusterPids = (cluster: Cluster): number[] => cluster.pids();

/**
 * True once the process has exited. A zombie counts as exited: children of a SIGKILLed supervisor are
 * re-parented to init, which reaps them when it gets round to it (here, up to ~2 s later).
 */
function hasExited(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** Runs `body` on a fresh cluster, bounded in time; prints the logs if it fails; always tears down and checks nothing is left. */
const withCluster = (cluster: Cluster, upArgs: readonly string[], body: () => Promise<void>): Promise<void> => withTestCluster(sandbox, cluster, upArgs, TEST_TIMEOUT_MS, body);

const assertNoFailures = (run: RunJson, what: string): void => {
  assert.equal(run.summary.failed, 0, `${what}: ${run.summary.failed} failed ${JSON.stringify(run.summary.failuresByReason)}`);
  assert.equal(run.summary.ok, run.summary.sent, `${what}: every request ok`);
};

const okAt = (run: RunJson, address: string): number => run.summary.backends.find((backend) => backend.address === address)?.ok ?? 0;

const component = (status: StatusJson, name: string): Component => {
  const found = status.components.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no component ${name} in status: ${status.components.map((c) => c.name).join(', ')}`);
  return found;
};

const assertReconciles = (report: ReportJson): void => {
  assert.ok(report.reconciliation.matches, `reconciliation: ${JSON.stringify(report.reconciliation.rows)}`);
};

// ---------------------------------------------------------------- (1) SIGKILL under load

faults('a backend SIGKILLed during a 10,000-request send: nothing fails, and its counts reconcile with the lost answers', async () => {
  const cluster = defineCluster('kill', 0);
  const victim = cluster.backend(2);
  await withCluster(cluster, ['--backends', '4'], async () => {
    const sending = cluster.send(['--simple', '10000', '--concurrency', '32']);
    assert.ok(await eventually(async () => (await cluster.lbStats()).picks > 2_000, 60_000), 'the send made 2,000 picks');
    const kill = await cluster.json<{ pid: number; signal: string }>(['kill', String(victim.port)]);
    assert.equal(kill.signal, 'SIGKILL');
    const run = await sending;
    assertNoFailures(run, 'send during the kill');
    assert.equal(run.summary.sent, 10_000);
    const killedOk = okAt(run, victim.address);
    assert.ok(killedOk > 0 && killedOk < 2_500, `the killed backend answered ${killedOk} before its death, and no more than its share`);

    const report = await cluster.json<ReportJson>(['report']);
    assertReconciles(report);
    const killed = report.backends.find((backend) => backend.address === victim.address);
    assert.equal([killed?.state, killed?.servedSource], ['exited', 'file'], 'the killed backend is counted from its counts file');
    const row = report.reconciliation.rows.find((candidate) => candidate.address === victim.address);
    assert.ok(row, 'the killed backend has a reconciliation row');
    assert.equal(row.clientOk, killedOk);
    assert.equal(row.backendServed, row.clientOk + row.lostAnswers, `served = client ok + lost answers: ${JSON.stringify(row)}`);
    assert.ok(row.lostAnswers <= row.failedAttempts, 'no more answers lost than attempts failed there');
    for (const other of report.reconciliation.rows.filter((candidate) => candidate.address !== victim.address)) {
      assert.equal([other.backendServed, other.lostAnswers], [other.clientOk, 0], `survivor ${other.address} served exactly what clients got`);
    }
  });
});

// ---------------------------------------------------------------- (2) --respawn and its backoff

faults('with --respawn a killed backend comes back and takes traffic; quick repeated crashes back off', async () => {
  const cluster = defineCluster('respawn', 1);
  const victim = cluster.backend(0);
  const name = `backend-${victim.port}`;
  await withCluster(cluster, ['--backends', '3', '--respawn'], async () => {
    const before = component(await cluster.status(), name);
    assert.equal([before.state, before.restarts], ['ready', 0]);

    /** Kills the victim and waits until the supervisor has it ready again under a new pid, with `restarts` restarts. */
    const killAndAwaitReturn = async (restarts: number): Promise<Component> => {
      const { pid } = component(await cluster.status(), name);
      const kill = await cluster.run(['kill', String(victim.port)]);
      assert.equal(kill.exitCode, 0, kill.stderr);
      let back: Component | undefined;
      const isBack = await eventually(async () => {
        back = component(await cluster.status(), name);
        return back.state === 'ready' && back.pid !== pid && back.restarts === restarts;
      }, 20_000);
      assert.ok(isBack, `${name} back after kill ${restarts}: ${JSON.stringify(back)}`);
      return back as Component;
    };

    /** The victim as the supervisor last wrote it to cluster.json. */
    const fromFile = (): Component | undefined => {
      try {
        const file = JSON.parse(readFileSync(path.join(sandbox.home, cluster.name, 'cluster.json'), 'utf8')) as { components: Component[] };
        return file.components.find((entry) => entry.name === name);
      } catch {
        return undefined; // being replaced (written atomically): read it again
      }
    };
    /** SIGKILLs the victim itself, then waits (on the file) until it is ready again under a new pid, with `restarts` restarts. */
    const killOnReadyAndAwaitReturn = async (restarts: number): Promise<void> => {
      let pid = 0;
      assert.ok(await eventually(() => (pid = fromFile()?.pid ?? 0) > 0, 5_000), `${name} has a pid in cluster.json`);
      process.kill(pid, 'SIGKILL');
      const isBack = await eventually(() => {
        const now = fromFile();
        return now?.state === 'ready' && now.pid !== pid && now.restarts === restarts;
      }, 20_000);
      assert.ok(isBack, `${name} back after kill ${restarts}: ${JSON.stringify(fromFile())}`);
    };

    const first = await killAndAwaitReturn(1);
    assert.not.equal(first.pid, before.pid, 'a new process');
    const run = await cluster.send(['--simple', '600', '--concurrency', '8']);
    assertNoFailures(run, 'send after the respawn');
    assert.ok(okAt(run, victim.address) > 0, `the respawned backend takes traffic: ${JSON.stringify(run.summary.backends)}`);

    await killAndAwaitReturn(2);
    // Kills 3 and 4 come as soon as the respawned process is ready, read from cluster.json and sent from here: a CLI
    // round trip per poll and per kill could outlast the 10 s that end a crash streak on a loaded machine.
    for (const restarts of [3, 4]) await killOnReadyAndAwaitReturn(restarts);
    const log = readFileSync(path.join(sandbox.home, cluster.name, 'logs', 'supervisor.log'), 'utf8');
    const restarts = [...log.matchAll(new RegExp(`restarting component=${name} crashesInARow=(\\d+) delayMs=(\\d+)`, 'g'))].map((match) => ({
      crashes: Number(match[1]),
      delayMs: Number(match[2]),
    }));
    assert.equal(restarts.length, 4, `four restarts logged:\n${log}`);
    assert.equal(restarts[0], { crashes: 1, delayMs: 0 }, 'the first crash restarts at once');
    // A run of 10 s or more resets the streak; on a loaded machine a start alone can take that long, so the streak
    // is read from the log: each restart waits as afterCrash says for its streak, and kills 3 and 4 (back to back) make one.
    for (const restart of restarts)
      assert.is(restart.delayMs, afterCrash(restart.crashes - 1, 0).delayMs, `the wait for a streak of ${restart.crashes}: ${JSON.stringify(restarts)}`);
    assert.ok(
      restarts.some((restart) => restart.crashes >= 2 && restart.delayMs > 0),
      `quick repeated crashes back off: ${JSON.stringify(restarts)}`,
    );
    const final = component(await cluster.status(), name);
    assert.equal([final.state, final.restarts], ['ready', 4]);
  });
});

// ---------------------------------------------------------------- (3) chaos under load

faults('20 s of chaos killing backends while sends run: no request fails, and the report reconciles', async () => {
  const cluster = defineCluster('chaos', 2);
  const CHAOS_MS = 20_000;
  /** Sends run back to back until chaos ends; each is ~4 s at ~1,000 requests/s, so this bound is never the one that ends them. */
  const MAX_SENDS = 30;
  await withCluster(cluster, ['--backends', '4'], async () => {
    let isChaosOver = false;
    const chaos = cluster
      .json<ChaosJson>(['chaos', '--duration', String(CHAOS_MS), '--interval', '1000', '--target', 'backend', '--seed', '7'], { timeoutMs: CHAOS_MS + 30_000 })
      .finally(() => {
        isChaosOver = true;
      });
    const runs: RunJson[] = [];
    while (!isChaosOver && runs.length < MAX_SENDS) runs.push(await cluster.send(['--simple', '4000', '--concurrency', '32']));
    const result = await chaos;
    assert.ok(isChaosOver, `chaos ended within ${MAX_SENDS} sends`);
    // One backend down at a time: a tick whose last victim is still starting again is skipped, so a kill comes every
    // 2–6 s (a start again takes 1–5 s here, by load), every few rounds.
    assert.ok(result.killed >= 3, `chaos killed a backend every few rounds: ${JSON.stringify({ ...result, actions: result.actions.length })}`);
    assert.ok(result.killed + result.skipped <= 20, `at most one action on each of the 20 ticks: ${JSON.stringify(result.actions)}`);
    assert.equal(result.failed, 0, `chaos actions failed: ${JSON.stringify(result.actions.filter((action) => action.kind === 'failed'))}`);
    runs.forEach((run, index) => assertNoFailures(run, `send ${index + 1} of ${runs.length}`));
    const sent = runs.reduce((sum, run) => sum + run.summary.sent, 0);
    const retried = runs.reduce((sum, run) => sum + run.summary.retried, 0);
    assert.ok(retried > 0, `crashes were ridden out by retries (${retried} over ${sent} requests)`);

    // Chaos revived its victims at the end: all four serve, and every count agrees.
    assert.ok(await eventually(async () => (await cluster.status()).components.every((entry) => entry.state === 'ready'), 15_000), 'every component ready after chaos');
    const report = await cluster.json<ReportJson>(['report']);
    assertReconciles(report);
    const clientOk = report.reconciliation.rows.reduce((sum, row) => sum + row.clientOk, 0);
    assert.equal(clientOk, sent, 'every ok request is in the reconciliation');
  });
});

// ---------------------------------------------------------------- (4) SIGKILL to the supervisor

faults('a SIGKILLed supervisor takes every child with it within 2 s; status says so; up starts again cleanly', async () => {
  const cluster = defineCluster('orphans', 3);
  await withCluster(cluster, ['--backends', '3'], async () => {
    const status = await cluster.status();
    const childPids = status.components.map((entry) => entry.pid);
    assert.equal(childPids.length, 5);
    process.kill(status.supervisorPid, 'SIGKILL');
    const startedAt = performance.now();
    const areAllGone = await eventually(() => childPids.every(hasExited), 2_000);
    const elapsedMs = Math.round(performance.now() - startedAt);
    assert.ok(areAllGone, `children still running 2 s after the supervisor's SIGKILL: ${childPids.filter((pid) => !hasExited(pid)).join(', ')}`);
    assert.equal(clusterPids(cluster), [], `nothing of the cluster runs (${elapsedMs} ms after the kill)`);

    const gone = await cluster.run(['status']);
    assert.equal(gone.exitCode, 3, gone.stderr);
    assert.match(gone.stderr, new RegExp(`no cluster "${cluster.name}" is running`));
    assert.match(gone.stderr, new RegExp(`supervisor \\(pid ${status.supervisorPid}\\) is gone`));

    const again = await cluster.json<{ components: Component[] }>(['up', '--backends', '3', '--base-port', String(cluster.basePort)]);
    assert.equal(
      again.components.map((entry) => entry.state),
      ['ready', 'ready', 'ready', 'ready', 'ready'],
    );
    assert.ok(
      again.components.every((entry) => !childPids.includes(entry.pid)),
      'all new processes',
    );
    assertNoFailures(await cluster.send(['--simple', '300']), 'send on the new cluster');
  });
});

// ---------------------------------------------------------------- (5) SIGKILL to the LB

faults('a SIGKILLed LB is restarted by the supervisor, and a send afterwards succeeds', async () => {
  const cluster = defineCluster('lbcrash', 4);
  await withCluster(cluster, ['--backends', '3'], async () => {
    const before = component(await cluster.status(), 'lb');
    const chaos = await cluster.json<ChaosJson>(['chaos', '--target', 'lb', '--duration', '1', '--interval', '1000', '--seed', '1']);
    assert.equal([chaos.killed, chaos.failed], [1, 0], JSON.stringify(chaos.actions));
    assert.match(chaos.actions[0]?.detail ?? '', new RegExp(`SIGKILL to pid ${before.pid}`));

    let lb: Component | undefined;
    const isBack = await eventually(async () => {
      lb = component(await cluster.status(), 'lb');
      return lb.state === 'ready' && lb.restarts === 1;
    }, 15_000);
    assert.ok(isBack, `LB back: ${JSON.stringify(lb)}`);
    assert.not.equal(lb?.pid, before.pid, 'a new LB process');
    assert.ok(hasExited(before.pid), 'the old LB is gone');

    // The new LB learns the backends again (from the registry and their re-registration) before it can pick.
    assert.ok(
      await eventually(async () => (await cluster.lbStats()).backends.filter((entry) => entry.state === 'serving').length === 3, 15_000),
      'the new LB knows the 3 backends',
    );
    const run = await cluster.send(['--simple', '1000', '--concurrency', '16']);
    assertNoFailures(run, 'send after the LB restart');
    assert.equal(run.summary.backends.length, 3, 'every backend used');
  });
});

faults.run();
