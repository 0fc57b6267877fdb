// `npm run bench -- faults`: figures for the fault-tolerance and elasticity targets, from one run on this machine (a script, not a test).
//
// Prints: (a) how long the LB goes on assigning a backend after its SIGKILL, and what the clients
// lost to it, over 5 kills; (b) how long after its own SIGKILL the LB serves a pick again;
// (c) how long `lbx scale` takes from 4 to 16 backends; (d) errors and the LB's RSS over
// 100,000 SIMPLE tasks at concurrency 256. Then a summary with the targets.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { credentials } from '@grpc/grpc-js';
import { execa } from 'execa';

import { readClusterFile, type ClusterFile } from '../src/runtime/cluster/cluster-file.js';
import { clusterPaths } from '../src/runtime/cluster/cluster-paths.js';
import { ControlClient } from '../src/runtime/cluster/control-client.js';
import { CLIENT_CHANNEL_OPTIONS } from '../src/runtime/grpc/channel-options.js';
import { callUnary } from '../src/runtime/grpc/unary.js';
import { TaskType } from '../src/runtime/wire/gen/lbx/v1/task.js';
import { LoadBalancerClient, type GetStatsResponse } from '../src/runtime/wire/gen/lbx/v1/load_balancer.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = path.join(root, 'bin/lbx.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-faults-'));
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const NAME = 'faults';
const BASE_PORT = 24_880;
const BACKENDS = 4;
const KILL_ROUNDS = 5;
/** Each kill round's send; the kill comes after KILL_AFTER_PICKS of its picks. */
const KILL_SEND = ['--simple', '6000', '--concurrency', '32'];
const KILL_AFTER_PICKS = 1_500;
const POLL_MS = 5;
const PICK_TIMEOUT_MS = 100;
const WAIT_LIMIT_MS = 60_000;
const CONTROL_CHANGE_TIMEOUT_MS = 60_000;
const RSS_FIRST = 10_000;
const RSS_TOTAL = 100_000;
const RSS_CONCURRENCY = '256';

interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number>; elapsedMs: number; throughputPerSec: number };
}

/** Runs the lbx CLI on the bench cluster, bounded in time; --json output parsed. A send with failed tasks (exit 1) still resolves: its figures count. */
async function lbxJson<T>(args: string[], timeoutMs = 300_000): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--name', NAME, '--json'], { env, reject: false, timeout: timeoutMs, stdin: 'ignore' });
  const isFailedSend = args[0] === 'send' && result.exitCode === 1;
  if (result.exitCode !== 0 && !isFailedSend) throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every POLL_MS until true; throws naming `what` after WAIT_LIMIT_MS. */
async function waitUntil(what: string, condition: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + WAIT_LIMIT_MS;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${WAIT_LIMIT_MS} ms`);
    await sleep(POLL_MS);
  }
}

const rssMb = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

const row = (label: string, value: string, target = '', ok?: boolean): void => {
  const verdict = ok === undefined ? '' : ok ? 'ok' : 'MISSED';
  console.log(`${label.padEnd(48)} ${value.padStart(18)}  ${target.padEnd(16)} ${verdict}`);
};

function lbClient(cluster: ClusterFile): LoadBalancerClient {
  return new LoadBalancerClient(cluster.lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
}

async function lbStats(cluster: ClusterFile): Promise<GetStatsResponse> {
  const client = lbClient(cluster);
  try {
    return await callUnary(client.getStats.bind(client), {}, 2_000);
  } finally {
    client.close();
  }
}

/** One GetServer on a fresh channel (no reconnect backoff carried over from the dead LB); true when it picked a backend. */
async function canPick(cluster: ClusterFile): Promise<boolean> {
  const client = lbClient(cluster);
  try {
    await callUnary(client.getServer.bind(client), { clientId: 'bench-faults', taskType: TaskType.SIMPLE, key: '', exclude: [], requestId: 0, done: [] }, PICK_TIMEOUT_MS);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

interface KillRound {
  port: number;
  lingerMs: number;
  failed: number;
  retried: number;
}

/** (a) SIGKILL one backend in the middle of a send; how long the LB went on assigning it, and what the send lost. */
async function killRound(cluster: ClusterFile, control: ControlClient, port: number): Promise<KillRound> {
  const address = `${cluster.spec.host}:${port}`;
  const picksBefore = (await lbStats(cluster)).picks;
  const sending = lbxJson<RunJson>(['send', ...KILL_SEND]);
  await waitUntil(`${KILL_AFTER_PICKS} picks of the send`, async () => (await lbStats(cluster)).picks >= picksBefore + KILL_AFTER_PICKS);
  const killedAtUnixMs = Date.now();
  await control.killBackend(port, 'SIGKILL');
  const run = await sending;
  const entry = (await lbStats(cluster)).backends.find((backend) => backend.address === address);
  if (entry === undefined) throw new Error(`the LB does not list ${address}`);
  await control.startBackend(port, CONTROL_CHANGE_TIMEOUT_MS);
  return { port, lingerMs: entry.lastAssignedAtUnixMs - killedAtUnixMs, failed: run.summary.failed, retried: run.summary.retried };
}

/** (b) SIGKILL the LB; ms until a GetServer on its address picks a backend again. */
async function lbRestart(cluster: ClusterFile, control: ControlClient): Promise<{ servingMs: number; readyMs: number }> {
  const lb = (await control.status()).components.find((component) => component.role === 'lb');
  if (lb === undefined) throw new Error('no LB in the cluster');
  const startedAt = performance.now();
  process.kill(lb.pid, 'SIGKILL');
  await waitUntil('the LB picking again', () => canPick(cluster));
  const servingMs = performance.now() - startedAt;
  // The supervisor's view: the restarted process said ready (it may say so before it knows any backend).
  await waitUntil('the LB ready in status', async () => {
    const now = (await control.status()).components.find((component) => component.role === 'lb');
    return now !== undefined && now.pid !== lb.pid && now.state === 'ready';
  });
  return { servingMs, readyMs: performance.now() - startedAt };
}

async function main(): Promise<void> {
  console.log(`lbx bench faults: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}\n`);
  let control: ControlClient | undefined;
  try {
    await lbxJson(['up', '--backends', String(BACKENDS), '--policy', 'rr', '--base-port', String(BASE_PORT)]);
    const paths = clusterPaths(NAME, home);
    const cluster = await readClusterFile(paths);
    if (cluster === undefined) throw new Error(`no cluster file in ${paths.dir}`);
    control = new ControlClient(cluster, paths);
    console.log(`(a) SIGKILL of one of ${BACKENDS} backends during \`send ${KILL_SEND.join(' ')}\`, after ${KILL_AFTER_PICKS} picks`);
    const rounds: KillRound[] = [];
    for (let round = 0; round < KILL_ROUNDS; round += 1) {
      const result = await killRound(cluster, control, BASE_PORT + 1 + (round % BACKENDS));
      rounds.push(result);
      console.log(`    kill ${round + 1}: backend ${result.port}: last assigned ${result.lingerMs} ms after the kill; ${result.failed} failed, ${result.retried} retried`);
    }
    const maxLingerMs = Math.max(...rounds.map((result) => result.lingerMs));
    const killFailed = rounds.reduce((sum, result) => sum + result.failed, 0);

    console.log('(b) SIGKILL of the LB');
    const lb = await lbRestart(cluster, control);
    console.log(`    picking again after ${Math.round(lb.servingMs)} ms (ready in status after ${Math.round(lb.readyMs)} ms)`);

    console.log(`(c) scale ${BACKENDS} → 16`);
    const scaleStartedAt = performance.now();
    const up = await lbxJson<{ elapsedMs: number; added: unknown[] }>(['scale', '--backends', '16']);
    const scaleWallMs = performance.now() - scaleStartedAt;
    const downStartedAt = performance.now();
    const down = await lbxJson<{ elapsedMs: number; removed: unknown[] }>(['scale', '--backends', String(BACKENDS)]);
    const scaleDownWallMs = performance.now() - downStartedAt;
    console.log(
      `    up: ${up.added.length} added in ${up.elapsedMs} ms (wall ${Math.round(scaleWallMs)} ms); back down: ${down.removed.length} removed in ${down.elapsedMs} ms (wall ${Math.round(scaleDownWallMs)} ms)`,
    );

    console.log(`(d) ${RSS_TOTAL} SIMPLE at concurrency ${RSS_CONCURRENCY}: ${RSS_FIRST}, then ${RSS_TOTAL - RSS_FIRST}`);
    const lbPid = (await control.status()).components.find((component) => component.role === 'lb')?.pid ?? 0;
    const rssAtStartMb = rssMb(lbPid);
    const first = await lbxJson<RunJson>(['send', '--simple', String(RSS_FIRST), '--concurrency', RSS_CONCURRENCY]);
    const rssFirstMb = rssMb(lbPid);
    const rest = await lbxJson<RunJson>(['send', '--simple', String(RSS_TOTAL - RSS_FIRST), '--concurrency', RSS_CONCURRENCY], 600_000);
    const rssTotalMb = rssMb(lbPid);
    const loadFailed = first.summary.failed + rest.summary.failed;
    const growth = rssTotalMb / rssFirstMb - 1;
    console.log(
      `    ${Math.round(first.summary.throughputPerSec)}/s then ${Math.round(rest.summary.throughputPerSec)}/s; ${loadFailed} failed ${JSON.stringify({ ...first.summary.failuresByReason, ...rest.summary.failuresByReason })}`,
    );
    console.log(`    LB RSS: ${rssAtStartMb.toFixed(1)} MB before, ${rssFirstMb.toFixed(1)} MB after ${RSS_FIRST}, ${rssTotalMb.toFixed(1)} MB after ${RSS_TOTAL}`);

    console.log('');
    row('figure', 'measured', 'target');
    row(`(a) kill → last assignment, max of ${KILL_ROUNDS}`, `${maxLingerMs} ms`, '< 250 ms', maxLingerMs < 250);
    row(`(a) failed requests over the ${KILL_ROUNDS} kills`, String(killFailed), '0', killFailed === 0);
    row('(b) LB SIGKILL → picking again', `${Math.round(lb.servingMs)} ms`);
    row(`(c) scale ${BACKENDS} → 16 (supervisor / wall)`, `${up.elapsedMs} / ${Math.round(scaleWallMs)} ms`);
    row(`(c) scale 16 → ${BACKENDS} (supervisor / wall)`, `${down.elapsedMs} / ${Math.round(scaleDownWallMs)} ms`);
    row(`(d) ${RSS_TOTAL} SIMPLE @ c=${RSS_CONCURRENCY}: failed`, String(loadFailed), '0', loadFailed === 0);
    row(`(d) LB RSS after ${RSS_FIRST} → after ${RSS_TOTAL}`, `${rssFirstMb.toFixed(1)} → ${rssTotalMb.toFixed(1)} MB`, 'growth ≤ 20%', growth <= 0.2);
    row('    growth', `${(growth * 100).toFixed(1)} %`);
  } finally {
    control?.close();
    await lbxJson(['down']).catch((error: unknown) => console.error(`down failed: ${String(error)}`));
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
