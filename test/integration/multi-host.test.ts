// Several hosts on one machine (issue 5): backends in two Linux network namespaces, etcd and the LB in the root one,
// every role started by hand (`lbx serve …`) and found through etcd; one namespace's cable is pulled under load.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { credentials } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { CLIENT_CHANNEL_OPTIONS } from '../../src/runtime/grpc/channel-options.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { createRegistry, type RegistryConnection } from '../../src/runtime/registry/create-registry.js';
import { findExecutable } from '../../src/runtime/registry/find-executable.js';
import { BACKEND_SERVICE, LB_SERVICE } from '../../src/runtime/registry/service-names.js';
import { LoadBalancerClient, type BackendStats, type GetStatsResponse } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { createSandbox, eventually, LBX_BIN } from '../helpers/lbx-cli.js';
import { checkNetnsSupport, IP, NetnsLab, routeDevice, type NetnsHost } from '../helpers/netns.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { slackMs } from '../helpers/load-slack.js';

/** This file's ports: a free range (etcd and the LB listen in the root namespace). Backend ports differ across hosts too: ids (backend-<port>) are etcd keys. */
const BASE_PORT = await freeBasePort();
const PORTS = {
  etcdClient: BASE_PORT + 102,
  etcdPeer: BASE_PORT + 103,
  lb: BASE_PORT + 100,
  backends: [
    [BASE_PORT + 1, BASE_PORT + 2],
    [BASE_PORT + 3, BASE_PORT + 4],
  ],
} as const;
const SCENARIO_TIMEOUT_MS = 50_000;
const STATS_TIMEOUT_MS = 2_000;
const READY_TIMEOUT_MS = 15_000;
/** SIGTERM to exit; a cut-off backend spends up to a few request timeouts failing to deregister first. */
const STOP_TIMEOUT_MS = 12_000;
/**
 * Link cut to the LB removing the host's backends: the last keepalive went out at most ~667 ms before the cut
 * (three per 2 s TTL), etcd checks expiry about every 500 ms, then the watch event reaches the LB.
 */
const REMOVAL_MIN_MS = 1_000;
const REMOVAL_MAX_MS = 4_000;
/**
 * The long send: a call to a cut-off backend hangs until its deadline (the packets are dropped, nothing refuses
 * them), then is retried elsewhere with that backend excluded. Two retries cover both backends of the cut host,
 * so the third attempt lands on the other host and no request fails: --retries 2 (the default), stated anyway.
 */
const CALL_TIMEOUT_MS = 1_000;
const RETRIES = 2;
/** Sized from the first send's throughput to run about this long, so it spans the cut and the removal whatever the machine's speed. */
const LONG_SEND_TARGET_MS = 9_000;
/** Traffic before the cut, so both hosts are mid-run when the cable goes. */
const BEFORE_CUT_MS = 1_500;
const REMOVED_BY_REGISTRY = 'registry: no longer passing';

interface BackendRun {
  address: string;
  ok: number;
  share: number;
  errors: number;
}
interface RunJson {
  summary: {
    sent: number;
    ok: number;
    failed: number;
    retried: number;
    failuresByReason: Record<string, number>;
    attemptFailuresByReason: Record<string, number>;
    elapsedMs: number;
    throughputPerSec: number;
    backends: BackendRun[];
  };
}

const ETCD = findExecutable('etcd');
// etcd first: without it there is no point in making a probe namespace.
const support = ETCD === undefined ? { ok: false as const, reason: 'no etcd binary on PATH (apt-get install etcd-server)' } : checkNetnsSupport();
const skipReason = support.ok ? undefined : support.reason;

// ---------------------------------------------------------------------------------------------

/** A process this test started; stdout and stderr kept in files for JSON and for the failure message. */
interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly stdout: () => string;
  /** stdout, then stderr. */
  readonly output: () => string;
  readonly exited: Promise<void>;
}

const sandbox = createSandbox('multi-host');
const workDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-test-multi-host-'));
const started: Started[] = [];
let lab: NetnsLab | undefined;
let lbClient: LoadBalancerClient | undefined;
let tornDown = false;

/** Starts `file args…` with output to <workDir>/<name>.{out,err}; refused once teardown began, so a timed-out scenario cannot start more. */
function start(name: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = sandbox.env): Started {
  if (tornDown) throw new Error(`not starting ${name}: teardown has begun`);
  const [outPath, errPath] = [path.join(workDir, `${name}.out`), path.join(workDir, `${name}.err`)];
  const [outFd, errFd] = [openSync(outPath, 'a'), openSync(errPath, 'a')];
  const child = spawn(file, [...args], { stdio: ['ignore', outFd, errFd], env });
  closeSync(outFd);
  closeSync(errFd);
  // A spawn that fails (no such file) emits 'error' and no 'exit'.
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const read = (where: string): string => {
    try {
      return readFileSync(where, 'utf8');
    } catch {
      return '(output removed)';
    }
  };
  const proc = { name, child, stdout: () => read(outPath), output: () => `${read(outPath)}${read(errPath)}`, exited };
  started.push(proc);
  return proc;
}

const isRunning = (proc: Started): boolean => proc.child.pid !== undefined && proc.child.exitCode === null && proc.child.signalCode === null;

/** Waits until `ready()` holds, failing at once (with its output) if the process exits first. */
async function waitUntil(proc: Started, ready: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const ok = await eventually(async () => !isRunning(proc) || (await ready()), timeoutMs);
  if (!isRunning(proc)) throw new Error(`${proc.name} exited (${proc.child.exitCode ?? proc.child.signalCode}) before it was ready\n${proc.output()}`);
  if (!ok) throw new Error(`${proc.name} not ready after ${timeoutMs} ms\n${proc.output()}`);
}

/** SIGTERM, then the exit within `timeoutMs`; SIGKILL and an error if it does not come. */
async function stop(proc: Started, timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
  if (!isRunning(proc)) return;
  proc.child.kill('SIGTERM');
  try {
    await withTimeout(proc.exited, timeoutMs, `${proc.name} (pid ${proc.child.pid}) exit after SIGTERM`);
  } catch (error) {
    proc.child.kill('SIGKILL');
    await withTimeout(proc.exited, 2_000, `${proc.name} exit after SIGKILL`).catch(() => undefined);
    throw error;
  }
}

/** True when no process has that pid any more (they are our children, reaped on exit, so no zombie lingers). */
function isGone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Stops whatever still runs (sends, then backends, the LB, etcd — each SIGTERM, then SIGKILL), deletes the
 * namespaces and veths and the temp dirs. Idempotent. Returns what went wrong, for the test to assert on.
 */
async function tearDown(): Promise<string[]> {
  if (tornDown) return [];
  tornDown = true;
  const problems: string[] = [];
  lbClient?.close();
  const stopAll = async (which: (proc: Started) => boolean): Promise<void> => {
    await Promise.all(
      started.filter((proc) => which(proc) && isRunning(proc)).map((proc) => stop(proc).catch((error: unknown) => problems.push(`teardown: ${(error as Error).message}`))),
    );
  };
  await stopAll((proc) => proc.name.startsWith('send'));
  await stopAll((proc) => proc.name.startsWith('backend'));
  await stopAll((proc) => proc.name === 'lb');
  await stopAll(() => true);
  const alive = started.filter((proc) => !isGone(proc.child.pid)).map((proc) => `${proc.name} (pid ${proc.child.pid})`);
  if (alive.length > 0) problems.push(`still alive after teardown: ${alive.join(', ')}`);
  const leftovers = lab?.destroy() ?? [];
  if (leftovers.length > 0) problems.push(`namespaces or links left: ${leftovers.join(', ')}`);
  rmSync(workDir, { recursive: true, force: true });
  sandbox.dispose();
  return problems;
}

/**
 * Last resort if the test process ends without teardown (a crash): SIGKILL what still runs and delete the
 * namespaces and veths, synchronously, as an 'exit' handler must.
 */
process.once('exit', () => {
  if (tornDown) return;
  for (const proc of started.filter(isRunning)) proc.child.kill('SIGKILL');
  lab?.destroy();
});

// ---------------------------------------------------------------------------------------------

/** The LB's GetStats, asked directly. */
async function lbStats(): Promise<GetStatsResponse> {
  if (lbClient === undefined) throw new Error('no LB client yet');
  return callUnary(lbClient.getStats.bind(lbClient), {}, STATS_TIMEOUT_MS);
}

const byAddress = (stats: GetStatsResponse, address: string): BackendStats | undefined => stats.backends.find((backend) => backend.address === address);

/** The instances etcd lists for `service`, via lbx's etcd adapter. */
async function listed(connection: RegistryConnection, service: string): Promise<Array<{ id: string; address: string }>> {
  const registry = createRegistry(connection, { requestTimeoutMs: 1_000 });
  try {
    return (await registry.resolve(service)).map((instance) => ({ id: instance.id, address: `${instance.address}:${instance.port}` }));
  } finally {
    registry.close();
  }
}

/** `lbx send … --json` as a process of this test (so teardown can stop it); resolves with its JSON, even when tasks failed. */
function send(name: string, args: readonly string[]): { process: Started; result: Promise<RunJson> } {
  const proc = start(name, process.execPath, [LBX_BIN, 'send', ...args, '--json']);
  const result = proc.exited.then(() => {
    try {
      return JSON.parse(proc.stdout()) as RunJson;
    } catch {
      throw new Error(`${name} exited ${proc.child.exitCode ?? proc.child.signalCode} without JSON\n${proc.output()}`);
    }
  });
  // Marked handled: when the scenario fails before awaiting it, teardown's SIGTERM makes it reject unawaited,
  // and an unhandled rejection would end the test process in the middle of teardown.
  result.catch(() => undefined);
  return { process: proc, result };
}

const shares = (run: RunJson): string => run.summary.backends.map((backend) => `${backend.address} ${(backend.share * 100).toFixed(1)}%`).join(', ');

// ---------------------------------------------------------------------------------------------

const multiHost = suite('several hosts on one machine: network namespaces, etcd, a pulled cable');

multiHost.after(async () => {
  const problems = await tearDown();
  if (problems.length > 0) throw new Error(problems.join('\n'));
});

const whenSupported = skipReason === undefined ? multiHost : multiHost.skip;
if (skipReason !== undefined) console.log(`multi-host: SKIPPED — ${skipReason}`);

whenSupported('backends in two namespaces serve through an LB in the root one; a cut host is dropped when its leases expire and no request fails', async () => {
  const scenario = async (): Promise<void> => {
    const netns = new NetnsLab(String(process.pid), 2);
    lab = netns;
    const hosts = [netns.addHost(0), netns.addHost(1)] as const;
    const [cutHost, keptHost] = hosts;
    // The LB binds the kept host's gateway address, which the other host reaches by its default route (local
    // delivery in the root namespace: no forwarding). The cut host's gateway would serve too, since the cut is at the
    // host's end, but an LB on the link that stays up keeps the test about the backends.
    const lbAddress = `${keptHost.rootAddress}:${PORTS.lb}`;
    const cluster = `mh${process.pid}`;
    const rootRegistry: RegistryConnection = { kind: 'etcd', address: `127.0.0.1:${PORTS.etcdClient}`, cluster };

    // 1. etcd in the root namespace, on loopback and on each host's gateway address (never 0.0.0.0).
    const clientUrls = ['127.0.0.1', ...hosts.map((host) => host.rootAddress)].map((address) => `http://${address}:${PORTS.etcdClient}`).join(',');
    const peerUrl = `http://127.0.0.1:${PORTS.etcdPeer}`;
    const etcd = start(
      'etcd',
      ETCD as string,
      [
        '--name',
        'multi-host',
        '--data-dir',
        path.join(workDir, 'etcd'),
        '--listen-client-urls',
        clientUrls,
        '--advertise-client-urls',
        clientUrls,
        '--listen-peer-urls',
        peerUrl,
        '--initial-advertise-peer-urls',
        peerUrl,
        '--initial-cluster',
        `multi-host=${peerUrl}`,
        '--logger',
        'zap',
        '--log-outputs',
        'stderr',
      ],
      process.env,
    );
    await waitUntil(
      etcd,
      async () => {
        const response = await fetch(`http://${rootRegistry.address}/health`, { signal: AbortSignal.timeout(500) }).catch(() => undefined);
        return response !== undefined && ((await response.json()) as { health?: string }).health === 'true';
      },
      READY_TIMEOUT_MS,
    );

    // 2. The LB in the root namespace; it registers its own address, which both hosts reach by their default route.
    const lb = start('lb', process.execPath, [
      LBX_BIN,
      'serve',
      'lb',
      '--host',
      keptHost.rootAddress,
      '--port',
      String(PORTS.lb),
      '--registry',
      'etcd',
      '--registry-addr',
      rootRegistry.address,
      '--cluster',
      cluster,
    ]);
    await waitUntil(lb, () => / ready on /.test(lb.output()), READY_TIMEOUT_MS);
    assert.equal(await listed(rootRegistry, LB_SERVICE), [{ id: `lb-${PORTS.lb}`, address: lbAddress }], 'the LB is in etcd at its gateway address');
    lbClient = new LoadBalancerClient(lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);

    // 3. Two backends per host, run inside its namespace; each reaches etcd at its own gateway and finds the LB there.
    const backendsOf = (host: NetnsHost, index: number): Array<{ host: NetnsHost; port: number; address: string; process: Started }> =>
      PORTS.backends[index]!.map((port) => ({
        host,
        port,
        address: `${host.address}:${port}`,
        process: start(
          `backend-${port}`,
          IP,
          netns.execArgs(host, process.execPath, [
            LBX_BIN,
            'serve',
            'backend',
            '--host',
            host.address,
            '--port',
            String(port),
            '--registry',
            'etcd',
            '--registry-addr',
            `${host.rootAddress}:${PORTS.etcdClient}`,
            '--cluster',
            cluster,
          ]),
        ),
      }));
    const backends = [...backendsOf(cutHost, 0), ...backendsOf(keptHost, 1)];
    const cutAddresses = backends.filter((backend) => backend.host === cutHost).map((backend) => backend.address);
    const keptAddresses = backends.filter((backend) => backend.host === keptHost).map((backend) => backend.address);
    await Promise.all(backends.map((backend) => waitUntil(backend.process, () => / ready on /.test(backend.process.output()), READY_TIMEOUT_MS)));
    const allServing = await eventually(async () => {
      const stats = await lbStats().catch(() => undefined);
      // A load report has arrived from each: every host reaches the LB, not only the LB each host.
      return (
        stats !== undefined &&
        backends.every((backend) => {
          const member = byAddress(stats, backend.address);
          return member?.state === 'serving' && member.inRegistry && member.lastReportAgeMs >= 0;
        })
      );
    }, READY_TIMEOUT_MS);
    assert.ok(
      allServing,
      `the LB lists the 4 backends as serving, from etcd, with load reports: ${JSON.stringify((await lbStats()).backends.map((b) => [b.address, b.state, b.inRegistry, b.lastReportAgeMs]))}`,
    );
    assert.equal((await listed(rootRegistry, BACKEND_SERVICE)).map((instance) => instance.address).sort(), backends.map((backend) => backend.address).sort());

    // 4. Traffic from the root namespace, the LB found through etcd: every backend serves, nothing fails.
    const sendArgs = ['--registry', 'etcd', '--registry-addr', rootRegistry.address, '--cluster', cluster, '-c', '16'];
    const first = await send('send-first', [...sendArgs, '--simple', '2000']).result;
    assert.equal([first.summary.sent, first.summary.ok, first.summary.failed], [2_000, 2_000, 0]);
    assert.equal(first.summary.backends.map((backend) => backend.address).sort(), backends.map((backend) => backend.address).sort(), 'all four backends served');
    for (const backend of first.summary.backends) assert.ok(backend.ok > 0, `${backend.address} served some`);
    console.log(`  multi-host: first send ${first.summary.ok}/${first.summary.sent} ok at ${Math.round(first.summary.throughputPerSec)}/s; shares ${shares(first)}`);

    // 5. A longer send; mid-way the cut host's cable is pulled.
    const longCount = Math.min(400_000, Math.max(10_000, Math.round((first.summary.throughputPerSec * LONG_SEND_TARGET_MS) / 1_000)));
    const long = send('send-long', [...sendArgs, '--simple', String(longCount), '--timeout', String(CALL_TIMEOUT_MS), '--retries', String(RETRIES)]);
    const picksBefore = (await lbStats()).picks;
    // A hang guard, not a figure: a new send process starts, finds the LB in etcd and picks; on a loaded machine that took over 5 s.
    assert.ok(await eventually(async () => ((await lbStats().catch(() => undefined))?.picks ?? 0) > picksBefore + 1_000, slackMs(15_000)), 'the long send is under way');
    await new Promise((resolve) => setTimeout(resolve, BEFORE_CUT_MS));
    const beforeCut = await lbStats();
    const assignedBeforeCut = new Map(cutAddresses.map((address) => [address, byAddress(beforeCut, address)?.assigned ?? 0]));
    netns.cut(cutHost);
    const cutAt = performance.now();
    // The root end keeps its route (now linkdown): traffic to the cut host is dropped, not sent out by another way.
    assert.equal(routeDevice(cutHost.address), cutHost.rootLink, `packets to ${cutHost.address} still go to the dead veth`);

    let removedStats: GetStatsResponse | undefined;
    const removed = await eventually(async () => {
      const stats = await lbStats().catch(() => undefined);
      if (stats === undefined || !cutAddresses.every((address) => byAddress(stats, address)?.state === 'removed')) return false;
      removedStats = stats;
      return true;
    }, REMOVAL_MAX_MS + 2_000);
    const removalMs = Math.round(performance.now() - cutAt);
    assert.ok(removed && removedStats !== undefined, `the LB dropped ${cutAddresses.join(' and ')} within ${REMOVAL_MAX_MS + 2_000} ms`);
    assert.ok(isRunning(long.process), `the long send (${longCount} tasks) was still running when the backends were dropped; make it longer`);
    for (const address of cutAddresses) assert.equal(byAddress(removedStats, address)?.removedReason, REMOVED_BY_REGISTRY, `${address} left because its lease expired`);
    for (const address of keptAddresses) assert.equal(byAddress(removedStats, address)?.state, 'serving', `${address} still serving`);
    assert.ok(removalMs >= REMOVAL_MIN_MS && removalMs <= REMOVAL_MAX_MS, `cut to removal ${removalMs} ms: within the lease (${REMOVAL_MIN_MS}–${REMOVAL_MAX_MS} ms)`);
    assert.equal((await listed(rootRegistry, BACKEND_SERVICE)).map((instance) => instance.address).sort(), [...keptAddresses].sort(), "etcd lists the kept host's backends only");
    const assignedAtRemoval = new Map(cutAddresses.map((address) => [address, byAddress(removedStats as GetStatsResponse, address)?.assigned ?? 0]));

    const longRun = await long.result;
    const longBackends = new Map(longRun.summary.backends.map((backend) => [backend.address, backend]));
    console.log(
      `  multi-host: the LB dropped the cut host's backends ${removalMs} ms after the cut; long send ${longRun.summary.ok}/${longRun.summary.sent} ok, ` +
        `${longRun.summary.failed} failed, ${longRun.summary.retried} retried (${JSON.stringify(longRun.summary.attemptFailuresByReason)}) in ${Math.round(longRun.summary.elapsedMs)} ms; shares ${shares(longRun)}`,
    );
    assert.equal(longRun.summary.failed, 0, `no request failed: ${JSON.stringify(longRun.summary.failuresByReason)}`);
    assert.equal(longRun.summary.ok, longCount);
    const cutErrors = cutAddresses.reduce((sum, address) => sum + (longBackends.get(address)?.errors ?? 0), 0);
    assert.ok(cutErrors > 0 && longRun.summary.retried >= cutErrors, `the cut caught calls in flight (${cutErrors} attempts failed there) and each was retried`);
    for (const address of [...cutAddresses, ...keptAddresses]) assert.ok((longBackends.get(address)?.ok ?? 0) > 0, `${address} served part of the long send`);
    for (const address of cutAddresses) {
      const stats = byAddress(await lbStats(), address);
      assert.equal(stats?.assigned, assignedAtRemoval.get(address), `no pick went to ${address} after it was dropped`);
      assert.ok((assignedAtRemoval.get(address) ?? 0) >= (assignedBeforeCut.get(address) ?? 0));
    }

    // 6. SIGTERM: the kept host's backends deregister at once; the cut host's exit although etcd and the LB are out of reach.
    for (const backend of backends.filter((backend_) => backend_.host === keptHost)) {
      await stop(backend.process);
      assert.equal(backend.process.child.exitCode, 0, backend.process.output());
      assert.equal(
        (await listed(rootRegistry, BACKEND_SERVICE)).some((instance) => instance.address === backend.address),
        false,
        `${backend.address} deregistered on SIGTERM`,
      );
    }
    const cutStopStartedAt = performance.now();
    await Promise.all(backends.filter((backend) => backend.host === cutHost).map((backend) => stop(backend.process)));
    const cutStopMs = Math.round(performance.now() - cutStopStartedAt);
    for (const backend of backends.filter((backend_) => backend_.host === cutHost)) assert.equal(backend.process.child.exitCode, 0, backend.process.output());
    await stop(lb);
    assert.equal(lb.child.exitCode, 0, lb.output());
    assert.equal(await listed(rootRegistry, LB_SERVICE), [], 'the LB deregistered on SIGTERM');
    await stop(etcd);
    console.log(`  multi-host: the cut host's backends exited 0 ${cutStopMs} ms after SIGTERM (etcd and the LB out of reach)`);
  };

  let failure: unknown;
  try {
    await withTimeout(scenario(), SCENARIO_TIMEOUT_MS, 'the multi-host scenario');
  } catch (error) {
    failure = error;
    for (const proc of started) console.error(`--- ${proc.name} (pid ${proc.child.pid}) ---\n${proc.output().split('\n').slice(-25).join('\n')}`);
  }
  const pids = started.map((proc) => proc.child.pid);
  const problems = await tearDown();
  if (failure !== undefined) throw failure;
  assert.equal(problems, [], 'teardown found nothing to force');
  assert.equal(
    pids.filter((pid) => !isGone(pid)),
    [],
    'no process this test started is alive',
  );
  assert.equal(lab?.leftovers() ?? [], [], 'no namespace or veth of this run is left');
});

multiHost.run();
