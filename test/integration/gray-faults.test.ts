// Gray failures injected with `lbx fault` while traffic runs: each kind shows in the figure it should change
// (latency in p50, errors in retries or failures, hangs in deadline-exceeded), faults clear on --clear and on
// their duration, a fault needs the cluster token, and every injected error or hang reconciles in report.
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { callUnary } from '../../src/runtime/grpc/unary.js';
import { isServiceError } from '../../src/runtime/grpc/status-errors.js';
import { BackendAdminClient } from '../../src/runtime/wire/gen/lbx/v1/backend_admin.js';
import { defineCluster, withCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { createSandbox, eventually, killLeftovers } from '../helpers/lbx-cli.js';

interface BackendRow {
  readonly address: string;
  readonly ok: number;
  readonly errors: number;
  readonly timeouts?: number;
  readonly latencyMs: { p50: number; p99: number };
}
interface Sent {
  readonly summary: { ok: number; failed: number; retried: number; backends: BackendRow[] };
}
interface Listed {
  readonly faults: { port: number; summary: string; delayed: number; errored: number; hung: number }[];
}

const sandbox = createSandbox('gray');
const gray = suite('gray failures (lbx fault)');

gray.after(() => {
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`processes left behind: ${leftovers.join(', ')}`);
});

gray('latency, errors and hangs show where they should, clear on --clear and on --for, and reconcile in report', async () => {
  const cluster = defineCluster<unknown, Sent>(sandbox, 'faults', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '3'], 150_000, async () => {
    const [slow, erroring, hanging] = [0, 1, 2].map((index) => cluster.backend(index));
    assert.match((await cluster.run(['fault', String(slow!.port), '--latency', '150ms'])).stdout, /latency 150ms/);
    await cluster.json(['fault', String(erroring!.port), '--errors', '30%', '--error-code', 'internal']);
    await cluster.json(['fault', String(hanging!.port), '--hang', '10%']);

    // No retries: every injected error and hang is a failed task, so each shows in the count it should.
    const sent = await cluster.send(['--simple', '900', '--retries', '0', '--timeout', '1s', '--concurrency', '16']);
    const row = (address: string): BackendRow => sent.summary.backends.find((backend) => backend.address === address)!;
    assert.ok(row(slow!.address).latencyMs.p50 >= 150, `the slow backend's p50: ${row(slow!.address).latencyMs.p50} ms`);
    assert.ok(row(hanging!.address).latencyMs.p50 < 150, `a healthy call's p50 stays low: ${row(hanging!.address).latencyMs.p50} ms`);
    const erroredShare = row(erroring!.address).errors / (row(erroring!.address).ok + row(erroring!.address).errors);
    assert.ok(erroredShare > 0.18 && erroredShare < 0.42, `the erroring backend failed ${(erroredShare * 100).toFixed(1)} % of its calls (30 % injected)`);
    assert.ok((row(hanging!.address).timeouts ?? 0) > 0, `hung calls end at the deadline: ${JSON.stringify(row(hanging!.address))}`);
    assert.is(sent.summary.ok + sent.summary.failed, 900, 'every task ends once');

    const listed = await cluster.json<Listed>(['fault', '--list']);
    const byPort = new Map(listed.faults.map((fault) => [fault.port, fault]));
    assert.is(byPort.get(slow!.port)?.delayed, row(slow!.address).ok, 'every call to the slow backend was delayed');
    assert.is(byPort.get(erroring!.port)?.errored, row(erroring!.address).errors, 'the backend counts the errors the client saw');
    assert.ok((byPort.get(hanging!.port)?.hung ?? 0) >= (row(hanging!.address).timeouts ?? 0), 'the backend counts its hangs');

    const status = await cluster.json<{ faults: { address: string; summary: string }[] }>(['status']);
    assert.equal(
      status.faults.map((fault) => fault.summary),
      ['latency 150ms', '30% INTERNAL', '10% hang'],
      'status lists the faults in force',
    );

    const report = (await cluster.report()) as { reconciliation: { matches: boolean }; faults: { address: string; errored: number }[] };
    assert.ok(report.reconciliation.matches, 'injected errors and hangs are not counted as served');
    assert.is(report.faults.find((fault) => fault.address === erroring!.address)?.errored, row(erroring!.address).errors, 'report shows the faults in force');

    // Retries cure UNAVAILABLE: the default code.
    await cluster.json(['fault', String(erroring!.port), '--errors', '30%']);
    const retried = await cluster.send(['--simple', '300', '--timeout', '1s']);
    assert.equal([retried.summary.ok, retried.summary.failed], [300, 0]);
    assert.ok(retried.summary.retried > 0, 'UNAVAILABLE is retried on another backend');

    await cluster.json(['fault', String(slow!.port), '--clear']);
    await cluster.json(['fault', String(hanging!.port), '--hang', '5%', '--for', '1s']);
    let latest: Listed | undefined;
    const cleared = await eventually(async () => {
      latest = await cluster.json<Listed>(['fault', '--list']);
      return latest.faults.find((fault) => fault.port === hanging!.port)?.summary === 'none';
    }, 10_000);
    assert.ok(cleared, `a --for fault clears itself: ${JSON.stringify(latest)}`);
    assert.is(latest!.faults.find((fault) => fault.port === slow!.port)?.summary, 'none');
    await cluster.json(['fault', '--clear-all']);
    const none = await cluster.json<Listed>(['fault', '--list']);
    assert.ok(none.faults.every((fault) => fault.summary === 'none'));
  });
});

gray('chaos --kinds draws gray failures with kills, prints each, clears them at the end; nothing is lost', async () => {
  const cluster = defineCluster<unknown, Sent>(sandbox, 'graychaos', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '4'], 150_000, async () => {
    const sending = cluster.send(['--simple', '3000', '--heavy', '60', '--timeout', '2s', '--concurrency', '8']);
    const chaos = await cluster.json<{ faulted: number; killed: number; actions: { kind: string; detail: string }[] }>([
      'chaos',
      '--kinds',
      'kill,latency,errors,hang,slow',
      '--interval',
      '400ms',
      '--duration',
      '4s',
      '--seed',
      '3',
    ]);
    const sent = await sending;
    assert.ok(chaos.faulted >= 3, `gray failures drawn: ${JSON.stringify(chaos.actions)}`);
    const details = chaos.actions.filter((action) => action.kind === 'faulted').map((action) => action.detail);
    assert.ok(
      details.every((detail) => /latency 200ms|10% UNAVAILABLE|2% hang|slowdown ×4/.test(detail)),
      details.join(' | '),
    );
    assert.ok(
      chaos.actions.some((action) => action.kind === 'cleared'),
      'chaos clears its faults at the end',
    );
    const listed = await cluster.json<Listed>(['fault', '--list']);
    assert.ok(
      listed.faults.every((fault) => fault.summary === 'none'),
      `no fault left: ${JSON.stringify(listed.faults)}`,
    );
    assert.is(sent.summary.ok + sent.summary.failed, 3_060, 'every task ends once, ok or failed');
    const report = (await cluster.report()) as { reconciliation: { matches: boolean } };
    assert.ok(report.reconciliation.matches, 'the run reconciles');
    // Asked of the running cluster (a stopped one is exit 3 whatever the kinds): it has no namespaces to cut.
    const badKinds = await cluster.run(['chaos', '--kinds', 'kill,partition']);
    assert.is(badKinds.exitCode, 2, badKinds.stderr);
    assert.match(badKinds.stderr, /--kinds partition: cluster "graychaos" runs without --netns/);
  });
});

gray('a retry budget stops a sick backend from multiplying the load: refused retries fail naming the budget; without it every task is retried to success', async () => {
  const cluster = defineCluster<unknown, Sent>(sandbox, 'budget', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '3'], 120_000, async () => {
    // Every call to backend 1 fails (UNAVAILABLE, retryable); retries elsewhere wait 100 ms, so many are in flight at once.
    await cluster.json(['fault', String(cluster.backend(0).port), '--errors', '100%']);
    for (const index of [1, 2]) await cluster.json(['fault', String(cluster.backend(index).port), '--latency', '100ms']);
    const unbudgeted = await cluster.send(['--simple', '300', '--concurrency', '24']);
    assert.equal([unbudgeted.summary.ok, unbudgeted.summary.failed], [300, 0], 'without a budget, retries cure every task');
    const budgeted = (await cluster.send(['--simple', '300', '--concurrency', '24', '--retry-budget', '0%'])) as Sent & {
      summary: { failuresByReason: Record<string, number> };
    };
    assert.is(budgeted.summary.ok + budgeted.summary.failed, 300, 'every task ends once');
    const refused = Object.entries(budgeted.summary.failuresByReason).filter(([reason]) => /retry budget \(3 retries in flight/.test(reason));
    assert.ok(refused.length > 0 && budgeted.summary.failed > 0, `refused retries name the budget: ${JSON.stringify(budgeted.summary.failuresByReason)}`);
    assert.ok(budgeted.summary.retried < unbudgeted.summary.retried, `fewer retries: ${budgeted.summary.retried} vs ${unbudgeted.summary.retried}`);
    const report = (await cluster.report()) as { reconciliation: { matches: boolean } };
    assert.ok(report.reconciliation.matches);
  });
  const bad = await sandbox.run(['send', '--simple', '1', '--retry-budget', '120%', '--name', 'budget']);
  assert.is(bad.exitCode, 2);
  assert.match(bad.stderr, /--retry-budget "120%": expected a share from 0 to 1/);
});

gray('hedging: a slow backend stops costing its latency; the first answer counts once, cancelled hedges reconcile', async () => {
  const cluster = defineCluster<unknown, Sent>(sandbox, 'hedge', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '3'], 120_000, async () => {
    await cluster.json(['fault', String(cluster.backend(0).port), '--latency', '400ms']);
    const plain = (await cluster.send(['--simple', '300', '--concurrency', '8'])) as Sent & { summary: { latencyMs: { p99: number } } };
    const hedged = (await cluster.send(['--simple', '300', '--concurrency', '8', '--hedge', '40ms', '--max-attempts', '2'])) as Sent & {
      summary: { latencyMs: { p99: number }; hedged?: number };
    };
    assert.equal([hedged.summary.ok, hedged.summary.failed], [300, 0]);
    assert.ok(plain.summary.latencyMs.p99 >= 400, `without hedging the slow backend sets p99: ${plain.summary.latencyMs.p99} ms`);
    assert.ok(hedged.summary.latencyMs.p99 < 300, `with hedging p99 ${hedged.summary.latencyMs.p99} ms`);
    assert.ok((hedged.summary.hedged ?? 0) >= 50, `a hedge for most tasks the slow backend got: ${hedged.summary.hedged}`);
    const report = (await cluster.report()) as { reconciliation: { matches: boolean; rows: unknown[] } };
    assert.ok(report.reconciliation.matches, `hedges reconcile: ${JSON.stringify(report.reconciliation.rows)}`);
  });
  const bad = await sandbox.run(['send', '--simple', '1', '--hedge', '10ms', '--client', 'xds', '--name', 'hedge']);
  assert.is(bad.exitCode, 2);
  assert.match(bad.stderr, /--hedge works with --client lbx only/);
});

gray('prequal steers around a slow backend that round robin keeps feeding', async () => {
  const cluster = defineCluster<unknown, Sent>(sandbox, 'prequal', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '4', '--policy', 'pq'], 120_000, async () => {
    await cluster.json(['fault', String(cluster.backend(0).port), '--latency', '100ms']);
    const sent = await cluster.send(['--simple', '1200', '--concurrency', '16']);
    assert.equal([sent.summary.ok, sent.summary.failed], [1_200, 0]);
    const slow = sent.summary.backends.find((backend) => backend.address === cluster.backend(0).address)?.ok ?? 0;
    assert.ok(slow / 1_200 < 0.1, `prequal gave the slow backend ${((slow / 1_200) * 100).toFixed(1)} % (round robin: 25 %)`);
  });
});

gray('outlier ejection: in proxy mode a backend failing half its calls is ejected within two intervals, and returns once healed', async () => {
  const cluster = defineCluster<unknown, Sent>(sandbox, 'failpct', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '4', '--mode', 'proxy'], 120_000, async () => {
    const sick = cluster.backend(0);
    await cluster.json(['fault', String(sick.port), '--errors', '50%']);
    const started = Date.now();
    // The proxy passes the backend's UNAVAILABLE back (the call reached a backend); the client retries through the
    // proxy, which cannot be told to avoid the sick backend: 4 retries make three failures in a row negligible.
    const sent = await cluster.send(['--simple', '2000', '--concurrency', '16', '--retries', '4']);
    assert.equal([sent.summary.ok, sent.summary.failed], [2_000, 0], "every task ends ok through the client's retries");
    const ejectedLine = cluster
      .log('lb')
      .split('\n')
      .find((line) => / ejected address=/.test(line) && line.includes(sick.address));
    // Three failures in a row (own-calls) usually come first at 50 %; failure-percentage catches the rest (unit-tested).
    assert.ok(ejectedLine, `the LB logs an ejection of ${sick.address}`);
    assert.match(ejectedLine!, /evidence=(own-calls|failure-percentage)/);
    const ejectedAt = Date.parse(ejectedLine!.slice(0, 24));
    assert.ok(ejectedAt - started < 2 * 1_000 + 3_000, `within two intervals of the load starting (${ejectedAt - started} ms, with up to 3 s for the send to start)`);
    await cluster.json(['fault', String(sick.port), '--clear']);
    const healed = await eventually(async () => {
      await cluster.send(['--simple', '200']);
      return cluster.log('lb').includes(`returned address=${sick.address}`);
    }, 40_000);
    assert.ok(healed, 'the healed backend returns after its ejection');
  });
});

gray('bad input: unknown port and bad values exit 2 naming them; a stopped cluster exits 3; no token, no fault', async () => {
  const cluster = defineCluster(sandbox, 'badfault', await freeBasePort());
  await withCluster(sandbox, cluster, ['--backends', '1'], 90_000, async () => {
    const unknown = await cluster.run(['fault', '1', '--latency', '10ms']);
    assert.is(unknown.exitCode, 2, unknown.stderr);
    assert.match(unknown.stderr, /no running backend on port 1/);
    const badRate = await cluster.run(['fault', String(cluster.backend(0).port), '--errors', '150%']);
    assert.is(badRate.exitCode, 2);
    assert.match(badRate.stderr, /--errors "150%": expected a share of calls from 0 to 1/);
    const nothing = await cluster.run(['fault', String(cluster.backend(0).port)]);
    assert.is(nothing.exitCode, 2);
    assert.match(nothing.stderr, /nothing to inject/);

    // Straight to the backend without the cluster token: refused, and the backend keeps serving.
    const client = new BackendAdminClient(cluster.backend(0).address, credentials.createInsecure());
    try {
      const refusal = await callUnary(
        client.setFault.bind(client),
        { fault: { latencyMs: 0, jitterMs: 0, latencyP99Ms: 0, errorRate: 1, errorCode: 14, hangRate: 0, slowdown: 1, durationMs: 0 } },
        3_000,
      ).then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(isServiceError(refusal) && refusal.code === GrpcStatus.UNAUTHENTICATED, `without the token: ${String(refusal)}`);
    } finally {
      client.close();
    }
    const sent = await cluster.send(['--simple', '50']);
    assert.is((sent as Sent).summary.ok, 50);
  });
  const stopped = await cluster.run(['fault', '--list']);
  assert.is(stopped.exitCode, 3, stopped.stderr);
});

gray.run();
