// `npm run bench -- clients` (and the end of `-- data-planes`): issue 14's client table.
//
// One look-aside cluster and one proxy-mode cluster (lbx's proxy, the frame relay), 4 backends each, in a temporary LBX_HOME. Arms,
// each in a fresh process of its own (scripts/client-arm.mjs) so its CPU is its own, alternated A B C … A B C:
//   bare unary direct  a plain grpc-js unary client calling one backend (the yardstick)
//   lbx direct         lbx's client straight to the same backend (no LB): its task stream
//   lbx direct ×4      the same over all 4 backends, taken in turn (no LB, no policy): the LB path without the LB
//   look-aside stream  lbx send through the LB's picks to 4 backends, tasks on a stream per backend (the default;
//                      picks on the LB's pick socket)
//   look-aside gRPC picks  the same with picks on GetServerBatchStream (before the pick socket)
//   look-aside unary   the same with a unary ProcessTask per task (as before)
//   proxy              lbx send through lbx's proxy (tasks are unary there)
// SIMPLE tasks at concurrency 64. Per run: load average, throughput, p50/p99, and CPU per task of the client, the LB and
// the backends (from /proc: utime + stime before and after). Then per arm over its runs, and the targets' ratios.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

import { processCpuMs } from '../src/runtime/bench/proxy-cpu.js';
import { freeBasePort } from '../test/helpers/free-base-port.js';
import { median } from './bench-stats.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = path.join(root, 'bin/lbx.js');
const armScript = path.join(root, 'scripts/client-arm.mjs');
/** Each measured arm runs this long (the issue asks for 5–15 s), on a plan large enough that it never runs out first. */
const ARM_SECONDS = Number(process.env.LBX_BENCH_CLIENT_SECONDS ?? 6);
const TASKS = Number(process.env.LBX_BENCH_CLIENT_TASKS ?? 1_000_000);
const ROUNDS = Number(process.env.LBX_BENCH_CLIENT_ROUNDS ?? 2);
const CONCURRENCY = 64;
const WARMUP_TASKS = 1_000;
/**
 * Before the first round every arm runs this long, unmeasured. The 1,000 tasks before each run warm the client, not the
 * backends: the direct path over 4 backends is the first arm to use three of them, and in round 1 it met them cold (their
 * CPU per task twice that of later rounds), which put the LB path at 0.92–1.19× of it in round 1 of every run, against
 * 0.70–0.93× after.
 */
const WARMUP_SECONDS = Number(process.env.LBX_BENCH_CLIENT_WARMUP_SECONDS ?? 3);

interface Cluster {
  readonly lb: { readonly address: string; readonly pid: number };
  readonly backends: ReadonlyArray<{ readonly address: string; readonly pid: number }>;
}
interface Arm {
  readonly name: string;
  readonly cluster: Cluster;
  /** The argument of client-arm.mjs, for `tasks` tasks. */
  readonly spec: (tasks: number) => object;
  /** Does the LB take part (picks or forwarding)? */
  readonly usesLb: boolean;
  /** Backends this arm's tasks go to (for their CPU). */
  readonly backendPids: readonly number[];
}
interface ArmResult {
  readonly calls: number;
  readonly failed: number;
  readonly ms: number;
  readonly p50: number;
  readonly p99: number;
  readonly cpuMs: number;
}
interface Run extends ArmResult {
  readonly arm: string;
  readonly lbCpuMs: number;
  readonly backendCpuMs: number;
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

const cpuOf = (pids: readonly number[]): number => pids.reduce((total, pid) => total + processCpuMs(pid), 0);

async function lbx<T>(home: string, args: string[]): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--json'], { env: { ...process.env, LBX_HOME: home, CI: '1' }, reject: false, timeout: 180_000, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

async function startCluster(home: string, name: string, mode: 'lookaside' | 'proxy'): Promise<Cluster> {
  const basePort = await freeBasePort();
  await lbx(home, ['up', '--name', name, '--mode', mode, '--policy', 'rr', '--backends', '4', '--base-port', String(basePort)]);
  const status = await lbx<{ components: Array<{ role: string; address: string; pid: number }> }>(home, ['status', '--name', name]);
  const lb = status.components.find((component) => component.role === 'lb');
  if (lb === undefined) throw new Error(`cluster ${name} has no LB`);
  return { lb, backends: status.components.filter((component) => component.role === 'backend') };
}

async function runArmProcess(spec: object): Promise<ArmResult> {
  const result = await execa(process.execPath, [armScript, JSON.stringify(spec)], { reject: false, timeout: 300_000, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`client arm exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout).trim().split('\n').pop() ?? '') as ArmResult;
}

async function measure(arm: Arm): Promise<Run> {
  await runArmProcess(arm.spec(WARMUP_TASKS));
  console.log(`  load average ${loadAverage()} before ${arm.name}`);
  const lbBefore = processCpuMs(arm.cluster.lb.pid);
  const backendsBefore = cpuOf(arm.backendPids);
  const result = await runArmProcess({ ...arm.spec(TASKS), seconds: ARM_SECONDS });
  const run = { arm: arm.name, ...result, lbCpuMs: arm.usesLb ? processCpuMs(arm.cluster.lb.pid) - lbBefore : 0, backendCpuMs: cpuOf(arm.backendPids) - backendsBefore };
  console.log(`    ${formatRun(run)}`);
  return run;
}

const perTaskUs = (cpuMs: number, calls: number): string => `${Math.round((cpuMs * 1_000) / Math.max(1, calls))} µs`;
const rate = (run: ArmResult): number => (run.calls / run.ms) * 1_000;

function formatRun(run: Run): string {
  return [
    `${run.arm.padEnd(22)} ${rate(run).toFixed(0).padStart(6)} tasks/s`,
    `p50 ${run.p50.toFixed(2)} ms p99 ${run.p99.toFixed(2)} ms`,
    `CPU/task: client ${perTaskUs(run.cpuMs, run.calls)}, LB ${perTaskUs(run.lbCpuMs, run.calls)}, backends ${perTaskUs(run.backendCpuMs, run.calls)}`,
    `failed ${run.failed}`,
  ].join(', ');
}

function combine(runs: readonly Run[]): Run {
  const sum = (pick: (run: Run) => number): number => runs.reduce((total, run) => total + pick(run), 0);
  const mean = (pick: (run: Run) => number): number => sum(pick) / runs.length;
  return {
    arm: runs[0]?.arm ?? '?',
    calls: sum((run) => run.calls),
    failed: sum((run) => run.failed),
    ms: sum((run) => run.ms),
    p50: mean((run) => run.p50),
    p99: mean((run) => run.p99),
    cpuMs: sum((run) => run.cpuMs),
    lbCpuMs: sum((run) => run.lbCpuMs),
    backendCpuMs: sum((run) => run.backendCpuMs),
  };
}

/** `arm`'s throughput over `yardstick`'s, round by round (the two ran one after the other, on the same machine state). */
function roundRatios(runs: readonly Run[], arm: string, yardstick: string): number[] {
  const ofArm = runs.filter((run) => run.arm === arm);
  const ofYardstick = runs.filter((run) => run.arm === yardstick);
  return ofArm.flatMap((run, round) => {
    const other = ofYardstick[round];
    return other === undefined ? [] : [rate(run) / rate(other)];
  });
}

function printTargets(byArm: ReadonlyMap<string, Run>, runs: readonly Run[]): void {
  const bare = byArm.get('bare unary direct');
  if (bare === undefined) return;
  const clientCpu = (run: Run): number => run.cpuMs / Math.max(1, run.calls);
  const lookAside = byArm.get('look-aside stream');
  if (lookAside === undefined) return;
  const throughput = rate(lookAside) / rate(bare);
  const cpu = clientCpu(lookAside) / clientCpu(bare);
  console.log(
    `  look-aside stream vs bare unary: throughput ${throughput.toFixed(2)}× (target ≥ 2: ${throughput >= 2 ? 'met' : 'missed'}), client CPU per task ${cpu.toFixed(2)}× (target ≤ 0.5: ${cpu <= 0.5 ? 'met' : 'missed'})`,
  );
  // Against one backend (its batches 4× as large) and against the same 4 backends taken in turn without an LB.
  for (const name of ['lbx direct', 'lbx direct ×4']) {
    const yardstick = byArm.get(name);
    if (yardstick === undefined) continue;
    const ratio = rate(lookAside) / rate(yardstick);
    // On 2 shared cores one round can differ from the next by a fifth: the rounds' own ratios show the spread.
    const rounds = roundRatios(runs, 'look-aside stream', name);
    console.log(
      `  look-aside stream vs ${name}: throughput ${ratio.toFixed(2)}× over all rounds (target ≥ 0.9: ${ratio >= 0.9 ? 'met' : 'missed'}); rounds ${rounds.map((each) => each.toFixed(2)).join(' ')}, median ${median(rounds).toFixed(2)}×`,
    );
  }
  const grpcPicks = byArm.get('look-aside gRPC picks');
  if (grpcPicks !== undefined) {
    const perPick = (run: Run): number => (run.lbCpuMs * 1_000) / Math.max(1, run.calls);
    console.log(
      `  pick socket vs gRPC picks: throughput ${(rate(lookAside) / rate(grpcPicks)).toFixed(2)}×, LB CPU per pick ${perPick(lookAside).toFixed(1)} against ${perPick(grpcPicks).toFixed(1)} µs`,
    );
  }
}

function arms(lookAside: Cluster, proxy: Cluster, sendOptions: (tasks: number) => Record<string, unknown>): Arm[] {
  const first = lookAside.backends[0];
  if (first === undefined) throw new Error('the look-aside cluster has no backend');
  const allPids = lookAside.backends.map((backend) => backend.pid);
  const send = (tasks: number, target: object, extra: object = {}): object => ({ arm: 'send', options: { ...sendOptions(tasks), target, ...extra } });
  return [
    {
      name: 'bare unary direct',
      cluster: lookAside,
      usesLb: false,
      backendPids: [first.pid],
      spec: (tasks) => ({ arm: 'bare', address: first.address, calls: tasks, concurrency: CONCURRENCY }),
    },
    { name: 'lbx direct', cluster: lookAside, usesLb: false, backendPids: [first.pid], spec: (tasks) => send(tasks, { kind: 'direct', address: first.address }) },
    {
      name: 'lbx direct ×4',
      cluster: lookAside,
      usesLb: false,
      backendPids: allPids,
      spec: (tasks) => send(tasks, { kind: 'direct', address: first.address, addresses: lookAside.backends.map((backend) => backend.address) }),
    },
    { name: 'look-aside stream', cluster: lookAside, usesLb: true, backendPids: allPids, spec: (tasks) => send(tasks, { kind: 'lb', address: lookAside.lb.address }) },
    {
      name: 'look-aside gRPC picks',
      cluster: lookAside,
      usesLb: true,
      backendPids: allPids,
      spec: (tasks) => send(tasks, { kind: 'lb', address: lookAside.lb.address }, { pickTransport: 'stream' }),
    },
    {
      name: 'look-aside unary',
      cluster: lookAside,
      usesLb: true,
      backendPids: allPids,
      spec: (tasks) => send(tasks, { kind: 'lb', address: lookAside.lb.address }, { taskTransport: 'unary' }),
    },
    {
      name: 'proxy',
      cluster: proxy,
      usesLb: true,
      backendPids: proxy.backends.map((backend) => backend.pid),
      spec: (tasks) => send(tasks, { kind: 'proxy', address: proxy.lb.address }),
    },
  ];
}

export async function benchClients(): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-clients-'));
  try {
    console.log(
      `clients: 4 backends (rr), SIMPLE tasks at concurrency ${CONCURRENCY}, ${ARM_SECONDS} s per run (at most ${TASKS} tasks), ${ROUNDS} rounds, each arm in its own process`,
    );
    const lookAside = await startCluster(home, 'clients-lookaside', 'lookaside');
    const proxy = await startCluster(home, 'clients-proxy', 'proxy');
    const sendOptions = (tasks: number): Record<string, unknown> => ({
      simple: tasks,
      heavy: 0,
      concurrency: CONCURRENCY,
      timeoutMs: 10_000,
      maxAttempts: 3,
      workUnits: 0,
      seed: 1,
    });
    const all = arms(lookAside, proxy, sendOptions);
    console.log(`warm-up: every arm for ${WARMUP_SECONDS} s, not counted`);
    for (const arm of all) await runArmProcess({ ...arm.spec(TASKS), seconds: WARMUP_SECONDS });
    const runs: Run[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      console.log(`round ${round}`);
      for (const arm of all) runs.push(await measure(arm));
    }
    console.log('per arm, all rounds:');
    const byArm = new Map(all.map((arm) => [arm.name, combine(runs.filter((run) => run.arm === arm.name))]));
    for (const run of byArm.values()) console.log(`  ${formatRun(run)}`);
    printTargets(byArm, runs);
  } finally {
    for (const name of ['clients-lookaside', 'clients-proxy']) {
      await execa(process.execPath, [lbxBin, 'down', '--name', name], { env: { ...process.env, LBX_HOME: home, CI: '1' }, reject: false, timeout: 60_000, stdin: 'ignore' });
    }
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'clients') await benchClients();
