// `npm run bench -- scale [64,256] [--backend-processes K] [--backends-per-thread G] [--skip-send] [--skip-sim]`: what a big cluster costs on this machine (issue 16).
//
// For each size: `lbx up --backends N` on a free base port in a private LBX_HOME (sizes above 64
// run dense, `--backend-processes` K, default ⌈N/32⌉, and `--backends-per-thread` G, default lbx's own), the time until `up` returns, the idle CPU
// of every process of the cluster over 10 s (supervisor, registry, LB, backends: /proc, each
// thread's schedstat), RSS per backend (the backend processes' RSS over N) and in all, then a
// 20,000-task `lbx send --json` that must end 20,000 ok and reconcile in `lbx report`, then
// `down`. The load average is printed before each size: on a shared 2-core machine figures mean
// little without it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

import { parseProcStat } from '../src/core/stats/proc-stat.js';
import { readClockTicksPerSecond } from '../src/runtime/bench/proxy-cpu.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = path.join(root, 'bin/lbx.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-scale-'));
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const FIRST_BASE_PORT = 23_000;
/** Ports a layout may take from its base (a dense 256-backend cluster reaches past base+400). */
const LAYOUT_PORTS = 600;
const IDLE_SETTLE_MS = 3_000;
const IDLE_WINDOW_MS = 10_000;
const SEND = ['--simple', '20000', '--concurrency', '64'];
const SENT = 20_000;
/** Backends per process in the dense mode when --backend-processes is not given. */
const DENSE_BACKENDS_PER_PROCESS = 32;
const UP_TIMEOUT = '300s';

interface Options {
  readonly sizes: number[];
  readonly backendProcesses?: number;
  /** Dense mode's backends per worker thread; lbx's default (core/scale/backends-per-thread.ts) when not given. */
  readonly backendsPerThread?: number;
  readonly skipSend: boolean;
  readonly skipSim: boolean;
  /** Sizes from this one up run dense (a process per backend stops at 64). */
  readonly denseFrom: number;
}

function parseOptions(argv: readonly string[]): Options {
  const sizes = argv.find((arg) => /^\d+(,\d+)*$/.test(arg));
  const processesAt = argv.indexOf('--backend-processes');
  const backendProcesses = processesAt >= 0 ? Number(argv[processesAt + 1]) : undefined;
  const perThreadAt = argv.indexOf('--backends-per-thread');
  const backendsPerThread = perThreadAt >= 0 ? Number(argv[perThreadAt + 1]) : undefined;
  return {
    ...(backendsPerThread === undefined ? {} : { backendsPerThread }),
    sizes: (sizes ?? '64,256').split(',').map(Number),
    ...(backendProcesses === undefined ? {} : { backendProcesses }),
    skipSend: argv.includes('--skip-send'),
    skipSim: argv.includes('--skip-sim'),
    denseFrom: 65,
  };
}

interface StatusJson {
  supervisorPid: number;
  components: Array<{ name: string; role: string; pid?: number; state: string }>;
}

interface SendJson {
  summary: { sent: number; ok: number; failed: number; retried: number; throughputPerSec?: number; failuresByReason: Record<string, number> };
}

async function lbx<T>(name: string, args: string[], timeoutMs = 600_000): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--name', name, '--json'], { env, reject: false, timeout: timeoutMs, stdin: 'ignore' });
  const isFailedSend = args[0] === 'send' && result.exitCode === 1;
  if (result.exitCode !== 0 && !isFailedSend) throw new Error(`lbx ${args.join(' ')} --name ${name} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function freeBasePort(from: number): Promise<number> {
  for (let base = from; base + LAYOUT_PORTS < 32_768; base += LAYOUT_PORTS) {
    const ports = Array.from({ length: LAYOUT_PORTS }, (_, offset) => base + offset);
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) return base;
  }
  throw new Error(`no free range of ${LAYOUT_PORTS} ports from ${from}`);
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Live processes whose argv names this cluster's directory: the supervisor and every child (each carries --cluster-dir). */
function clusterPids(name: string): number[] {
  const marker = `${path.join(home, name)}\0`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => (readText(`/proc/${pid}/cmdline`) ?? '').includes(marker) && !/^State:\s+Z/m.test(readText(`/proc/${pid}/status`) ?? ''));
}

/** CPU ns a process has spent: its threads' schedstat (precise), else its stat's ticks. */
function cpuNs(pid: number): number {
  let threads: string[] = [];
  try {
    threads = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  let ns = 0;
  for (const tid of threads) {
    const runNs = Number(readText(`/proc/${pid}/task/${tid}/schedstat`)?.split(' ')[0]);
    if (!Number.isFinite(runNs)) {
      const stat = parseProcStat(readText(`/proc/${pid}/stat`) ?? '');
      return stat === undefined ? 0 : (stat.ownTicks * 1e9) / readClockTicksPerSecond();
    }
    ns += runNs;
  }
  return ns;
}

const rssKb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readText(`/proc/${pid}/status`) ?? '')?.[1] ?? 0);
/** Proportional set size: pages shared by many processes (node's own code) counted once over all of them, what the machine really spends. */
const pssKb = (pid: number): number => Number(/^Pss:\s+(\d+) kB/m.exec(readText(`/proc/${pid}/smaps_rollup`) ?? '')?.[1] ?? 0);

/** The role a cluster process runs, from its argv ("serve backend-host" → backend-host). */
const roleOf = (pid: number): string => /\0serve\0([a-z-]+)\0/.exec(readText(`/proc/${pid}/cmdline`) ?? '')?.[1] ?? 'other';

/** Cores the cluster's processes used over `windowMs` of idleness, in all and by role. */
async function idleCores(pids: readonly number[], windowMs: number): Promise<{ total: number; byRole: Record<string, number> }> {
  const before = pids.map(cpuNs);
  const startedAt = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const elapsedNs = (performance.now() - startedAt) * 1e6;
  const byRole: Record<string, number> = {};
  pids.forEach((pid, index) => {
    const role = roleOf(pid);
    byRole[role] = (byRole[role] ?? 0) + Math.max(0, cpuNs(pid) - (before[index] ?? 0)) / elapsedNs;
  });
  return { total: Object.values(byRole).reduce((sum, cores) => sum + cores, 0), byRole };
}

export interface ScaleFigures {
  readonly backends: number;
  readonly backendProcesses?: number;
  readonly backendsPerThread?: number;
  readonly readyMs: number;
  /** CPU the cluster's processes spent from their start to ready: what start-up costs whatever else loads the machine. */
  readonly startCpuS: number;
  readonly idleCores: number;
  readonly idleCoresByRole: Record<string, number>;
  readonly processes: number;
  readonly rssPerBackendMb: number;
  readonly pssPerBackendMb: number;
  readonly totalRssMb: number;
  readonly send?: { ok: number; failed: number; retried: number; seconds: number; reconciles: boolean };
}

/** Sizes above 64 need the dense mode (one process cannot be given more than 64 ports in the classic layout). */
function backendProcessesFor(backends: number, options: Options): number | undefined {
  if (options.backendProcesses !== undefined) return options.backendProcesses;
  return backends >= options.denseFrom ? Math.ceil(backends / DENSE_BACKENDS_PER_PROCESS) : undefined;
}

export async function measureScale(backends: number, backendProcesses: number | undefined, skipSend: boolean, backendsPerThread?: number): Promise<ScaleFigures> {
  const name = `scale-${backends}${backendProcesses === undefined ? '' : `-k${backendProcesses}`}`;
  const perThread = backendProcesses === undefined || backendsPerThread === undefined ? [] : ['--backends-per-thread', String(backendsPerThread)];
  const dense = backendProcesses === undefined ? [] : ['--backend-processes', String(backendProcesses), ...perThread];
  const basePort = await freeBasePort(FIRST_BASE_PORT);
  const startedAt = performance.now();
  await lbx(name, ['up', '--backends', String(backends), ...dense, '--timeout', UP_TIMEOUT, '--base-port', String(basePort), '--registry', 'embedded']);
  const readyMs = performance.now() - startedAt;
  const startCpuS = clusterPids(name).reduce((sum, pid) => sum + cpuNs(pid), 0) / 1e9;
  try {
    await new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS));
    const pids = clusterPids(name);
    const idle = await idleCores(pids, IDLE_WINDOW_MS);
    const status = await lbx<StatusJson>(name, ['status']);
    const backendPids = [...new Set(status.components.filter((component) => component.role === 'backend' && component.pid !== undefined).map((component) => component.pid!))];
    const backendRssMb = backendPids.reduce((sum, pid) => sum + rssKb(pid), 0) / 1024;
    const backendPssMb = backendPids.reduce((sum, pid) => sum + pssKb(pid), 0) / 1024;
    const totalRssMb = pids.reduce((sum, pid) => sum + rssKb(pid), 0) / 1024;
    const figures = {
      backends,
      ...(backendProcesses === undefined ? {} : { backendProcesses }),
      ...(backendProcesses === undefined || backendsPerThread === undefined ? {} : { backendsPerThread }),
      readyMs,
      startCpuS,
      idleCores: idle.total,
      idleCoresByRole: idle.byRole,
      processes: pids.length,
      rssPerBackendMb: backendRssMb / backends,
      pssPerBackendMb: backendPssMb / backends,
      totalRssMb,
    };
    if (skipSend) return figures;
    const sendStartedAt = performance.now();
    const sent = await lbx<SendJson>(name, ['send', ...SEND]);
    const seconds = (performance.now() - sendStartedAt) / 1_000;
    const report = await lbx<{ reconciliation: { matches: boolean } }>(name, ['report']);
    return { ...figures, send: { ok: sent.summary.ok, failed: sent.summary.failed, retried: sent.summary.retried, seconds, reconciles: report.reconciliation.matches } };
  } finally {
    await lbx(name, ['down']).catch((error: unknown) => console.error(`down ${name} failed: ${String(error)}`));
  }
}

export function describeScale(figures: ScaleFigures): string {
  const perThread = figures.backendsPerThread === undefined ? "lbx's default backends per thread" : `${figures.backendsPerThread} backends per thread`;
  const mode = figures.backendProcesses === undefined ? 'a process per backend' : `${figures.backendProcesses} backend processes, ${perThread}`;
  const send = figures.send
    ? `; send ${SEND.join(' ')}: ${figures.send.ok} ok, ${figures.send.failed} failed, ${figures.send.retried} retried in ${figures.send.seconds.toFixed(1)} s, ${figures.send.reconciles ? 'reconciles' : 'DOES NOT reconcile'}`
    : '';
  const byRole = Object.entries(figures.idleCoresByRole)
    .map(([role, cores]) => `${role} ${cores.toFixed(3)}`)
    .join(', ');
  return (
    `${figures.backends} backends (${mode}): ready in ${(figures.readyMs / 1_000).toFixed(1)} s (${figures.startCpuS.toFixed(1)} CPU-s to get there); idle ${figures.idleCores.toFixed(3)} cores over ${IDLE_WINDOW_MS / 1_000} s (${figures.processes} processes: ${byRole}); ` +
    `RSS ${figures.rssPerBackendMb.toFixed(1)} MB per backend (PSS ${figures.pssPerBackendMb.toFixed(1)} MB), ${figures.totalRssMb.toFixed(0)} MB in all${send}`
  );
}

/** The verdicts against issue 16's targets. */
function verdicts(figures: ScaleFigures): string[] {
  const lines: string[] = [];
  const mark = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
  if (figures.backends === 64 && figures.backendProcesses === undefined) {
    lines.push(
      `  ready < 15 s: ${mark(figures.readyMs < 15_000)}; idle < 0.2 cores: ${mark(figures.idleCores < 0.2)}; RSS ≤ 50 MB per backend: ${mark(figures.rssPerBackendMb <= 50)}`,
    );
  }
  if (figures.backends === 256) lines.push(`  ready < 30 s: ${mark(figures.readyMs < 30_000)}`);
  if (figures.send) lines.push(`  20,000 sent, all ok and reconciled: ${mark(figures.send.ok === SENT && figures.send.reconciles)}`);
  return lines;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(3));
  console.log(`lbx bench scale: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}\n`);
  try {
    for (const backends of options.sizes) {
      const processes = backendProcessesFor(backends, options);
      console.log(`load average before ${backends} backends: ${loadAverage()}`);
      const figures = await measureScale(backends, processes, options.skipSend, options.backendsPerThread);
      console.log(describeScale(figures));
      for (const line of verdicts(figures)) console.log(line);
    }
    // The simulator's half of issue 16: the same policies at 10,000 modelled backends (scripts/bench-sim.ts).
    if (!options.skipSim) {
      console.log('\nsimulated: npm run bench -- sim, speed part');
      const { runSimBenchmark } = await import('./bench-sim.js');
      if (!(await runSimBenchmark({ parts: ['speed'] }))) process.exitCode = 1;
    }
    console.log(`\nload average at the end: ${loadAverage()}`);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
