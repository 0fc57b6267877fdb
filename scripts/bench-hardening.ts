// `npm run bench -- hardening`: figures for issue 11's faults-under-load targets, from one run on this machine (a script, not a test).
//
// Prints: (a) tasks failed by `lbx chaos --target lb` (1 s interval, 20 s) beside a 20,000-task
// send; (b) the same with --target registry; (c) tasks failed by 20 s of backend chaos beside
// 6,000 SIMPLE + 1,500 CPU_HEAVY at c=64; (d) `up --backends 64`: time to ready and the
// cluster's total RSS; (e) the time from a SIGKILL to that cluster's supervisor until none of
// its children runs. The load average comes before and after: on a shared 2-core machine the
// figures mean little without it. Each cluster has its own name and a free base port, in a
// temporary LBX_HOME removed at the end.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = path.join(root, 'bin/lbx.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-hardening-'));
const env = { ...process.env, LBX_HOME: home, CI: '1' };
/** Where the search for free base ports starts; each cluster takes a layout of ports from base to base+180. */
const FIRST_BASE_PORT = 21_000;
const LAYOUT_PORTS = 180;
const CHAOS = ['--interval', '1000', '--duration', '20000', '--seed', '11'];
const LB_SEND = ['--simple', '20000', '--concurrency', '32'];
const BACKEND_SEND = ['--simple', '6000', '--heavy', '1500', '--concurrency', '64'];
const BIG_CLUSTER_BACKENDS = 64;
/** `up --timeout` for 64 backends: readiness is what is measured, so a loaded machine should not cut it short. */
const BIG_UP_TIMEOUT = '180s';
const ORPHAN_POLL_MS = 5;
const ORPHAN_LIMIT_MS = 10_000;

interface RunJson {
  summary: { sent: number; ok: number; failed: number; retried: number; failuresByReason: Record<string, number> };
}
interface ChaosJson {
  killed: number;
  started: number;
  skipped: number;
  failed: number;
}
interface StatusJson {
  supervisorPid: number;
  components: Array<{ pid: number; state: string }>;
}

/** The lbx CLI on cluster `name` with --json, parsed. A send with failed tasks (exit 1) still resolves: its figures count. */
async function lbxJson<T>(name: string, args: string[], timeoutMs = 600_000): Promise<T> {
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

/** The first base port from `from` (in steps of 200) whose whole layout is free now. */
async function freeBasePort(from: number): Promise<number> {
  for (let base = from; base + LAYOUT_PORTS < 32_768; base += 200) {
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

const rssKb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};

/** Live (not zombie) processes whose argv names this cluster's directory: the supervisor and its children. */
function clusterPids(name: string): number[] {
  const marker = `${path.join(home, name)}\0`;
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
      } catch {
        return false;
      }
    });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A cluster of 4 backends; chaos on `target` beside `send`, started a second into it. The send's and chaos's results. */
async function chaosBesideSend(name: string, target: string, send: string[]): Promise<{ run: RunJson; chaos: ChaosJson }> {
  await lbxJson(name, ['up', '--backends', '4', '--base-port', String(await freeBasePort(FIRST_BASE_PORT))]);
  try {
    const sending = lbxJson<RunJson>(name, ['send', ...send]);
    await sleep(1_000);
    const chaos = await lbxJson<ChaosJson>(name, ['chaos', '--target', target, ...CHAOS]);
    return { run: await sending, chaos };
  } finally {
    await lbxJson(name, ['down']).catch((error: unknown) => console.error(`down ${name} failed: ${String(error)}`));
  }
}

const describeRun = ({ run, chaos }: { run: RunJson; chaos: ChaosJson }): string =>
  `${run.summary.failed} failed of ${run.summary.sent} (${run.summary.retried} retried); chaos: ${chaos.killed} killed, ${chaos.skipped} skipped, ${chaos.failed} failed` +
  (run.summary.failed > 0 ? `\n    ${JSON.stringify(run.summary.failuresByReason)}` : '');

/** `up --backends 64`: time to ready and total RSS; then a SIGKILL to its supervisor and the time until no child runs. */
async function bigCluster(): Promise<{ readyMs: number; rssMb: number; processes: number; orphanMs: number; left: number }> {
  const name = 'big';
  const startedAt = performance.now();
  await lbxJson(name, ['up', '--backends', String(BIG_CLUSTER_BACKENDS), '--timeout', BIG_UP_TIMEOUT, '--base-port', String(await freeBasePort(FIRST_BASE_PORT))]);
  const readyMs = performance.now() - startedAt;
  try {
    const status = await lbxJson<StatusJson>(name, ['status']);
    const pids = [status.supervisorPid, ...status.components.map((component) => component.pid)];
    const rssMb = pids.reduce((sum, pid) => sum + rssKb(pid), 0) / 1024;
    process.kill(status.supervisorPid, 'SIGKILL');
    const killedAt = performance.now();
    while (clusterPids(name).length > 0 && performance.now() - killedAt < ORPHAN_LIMIT_MS) await sleep(ORPHAN_POLL_MS);
    return { readyMs, rssMb, processes: pids.length, orphanMs: performance.now() - killedAt, left: clusterPids(name).length };
  } finally {
    // After the SIGKILL there is nothing to stop; if a step before it failed, this stops the cluster.
    await lbxJson(name, ['down']).catch(() => undefined);
  }
}

const row = (label: string, value: string, target = '', ok?: boolean): void => {
  const verdict = ok === undefined ? '' : ok ? 'ok' : 'MISSED';
  console.log(`${label.padEnd(52)} ${value.padStart(16)}  ${target.padEnd(10)} ${verdict}`);
};

async function main(): Promise<void> {
  console.log(`lbx bench hardening: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}, load average ${loadAverage()}\n`);
  try {
    console.log(`(a) chaos --target lb ${CHAOS.join(' ')} beside send ${LB_SEND.join(' ')}`);
    const lb = await chaosBesideSend('chaos-lb', 'lb', LB_SEND);
    console.log(`    ${describeRun(lb)}`);
    console.log(`(b) chaos --target registry ${CHAOS.join(' ')} beside send ${LB_SEND.join(' ')}`);
    const registry = await chaosBesideSend('chaos-registry', 'registry', LB_SEND);
    console.log(`    ${describeRun(registry)}`);
    console.log(`(c) chaos --target backend ${CHAOS.join(' ')} beside send ${BACKEND_SEND.join(' ')}`);
    const backend = await chaosBesideSend('chaos-backend', 'backend', BACKEND_SEND);
    console.log(`    ${describeRun(backend)}`);
    console.log(`(d) up --backends ${BIG_CLUSTER_BACKENDS}, then (e) SIGKILL to its supervisor`);
    const big = await bigCluster();
    console.log(
      `    ready in ${Math.round(big.readyMs)} ms; ${big.processes} processes, ${big.rssMb.toFixed(0)} MB RSS in all; no child ${Math.round(big.orphanMs)} ms after the SIGKILL (${big.left} left)`,
    );

    console.log(`\nload average at the end: ${loadAverage()}\n`);
    row('figure', 'measured', 'target');
    row('(a) LB chaos: failed tasks', String(lb.run.summary.failed), '0', lb.run.summary.failed === 0);
    row('(b) registry chaos: failed tasks', String(registry.run.summary.failed), '0', registry.run.summary.failed === 0);
    row('(c) backend chaos with CPU_HEAVY: failed tasks', String(backend.run.summary.failed), '0', backend.run.summary.failed === 0);
    row(`(d) up --backends ${BIG_CLUSTER_BACKENDS}: time to ready`, `${(big.readyMs / 1_000).toFixed(1)} s`, 'ready', true);
    row(`(d) up --backends ${BIG_CLUSTER_BACKENDS}: total RSS (${big.processes} processes)`, `${big.rssMb.toFixed(0)} MB`);
    row('(e) supervisor SIGKILL → no child', `${Math.round(big.orphanMs)} ms`, '≤ 1,500 ms', big.left === 0 && big.orphanMs <= 1_500);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
