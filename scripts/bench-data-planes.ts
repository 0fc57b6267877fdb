// `npm run bench -- data-planes`: proxies side by side on the same backends (issue 14's proxy table), then the client
// table of scripts/bench-clients.ts.
//
// One cluster in a temporary LBX_HOME (4 backends, lc, --mode proxy: its LB relays HTTP/2 frames; with HAProxy
// installed, --proxy haproxy, so lbx also runs HAProxy on base+108 over the same backends), two more lbx LBs
// started by hand on the same registry with --proxy-forwarding h2 (node:http2 streams) and grpc (the older grpc-js
// decode + re-encode path), and, when
// /usr/sbin/nginx is there, a private NGINX (one worker, least_conn, grpc_pass, keepalive 64) in a temporary directory, all
// forwarding to the same 4 backends. One grpc-js client in this process calls unary ProcessTask (SIMPLE) at concurrency 64
// through each in turn, arms alternated A B C A B C; each run is CALLS calls or MAX_RUN_MS, whichever ends first. Printed per
// run: load average, throughput, p50/p99, the proxy process's CPU per call (/proc/<pid>/stat utime+stime) and the client's
// (process.cpuUsage), failures; then per arm over its runs, with ratios to NGINX against the issue's targets.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { credentials } from '@grpc/grpc-js';
import { execa, type ResultPromise } from 'execa';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-planes-'));
process.env.LBX_HOME = home;
const { BackendClient } = await import('../src/runtime/wire/gen/lbx/v1/backend.js');
const { TaskType } = await import('../src/runtime/wire/gen/lbx/v1/task.js');
const { callUnary } = await import('../src/runtime/grpc/unary.js');
const { freeBasePort } = await import('../test/helpers/free-base-port.js');
const { processCpuMs } = await import('../src/runtime/bench/proxy-cpu.js');

const lbxBin = path.join(root, 'bin/lbx.js');
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';
const BACKENDS = 4;
const CALLS = Number(process.env.LBX_BENCH_PLANES_CALLS ?? 10_000);
const CONCURRENCY = 64;
const ROUNDS = Number(process.env.LBX_BENCH_PLANES_ROUNDS ?? 2);
const MAX_RUN_MS = 15_000;
/** Calls before each measured run, on every arm alike: a freshly started lbx LB needs about 2,000 before V8 has optimised its relay (with 500, its first run cost 107 µs of CPU per call, the next ones 64-68). */
const WARMUP_CALLS = 2_000;
const CALL_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 20_000;

interface Arm {
  readonly name: string;
  readonly address: string;
  /** The proxy's processes, whose CPU is summed. */
  readonly pids: readonly number[];
}

interface Run {
  readonly arm: string;
  readonly calls: number;
  readonly failed: number;
  readonly ms: number;
  readonly latenciesMs: number[];
  readonly proxyCpuMs: number;
  readonly clientCpuMs: number;
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const clientCpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1_000;
};

async function lbx<T>(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--json'], { env: { ...env, ...extraEnv }, reject: false, timeout: 180_000, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

/** A port nothing listens on now (the kernel's choice). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** `calls` ProcessTask calls at `concurrency` through `address` (or until `maxMs`); one fresh grpc-js client. */
async function drive(address: string, calls: number, maxMs: number): Promise<{ calls: number; failed: number; ms: number; latenciesMs: number[] }> {
  const client = new BackendClient(address, credentials.createInsecure());
  const latenciesMs: number[] = [];
  let next = 0;
  let failed = 0;
  const startedAt = performance.now();
  const worker = async (): Promise<void> => {
    while (next < calls && performance.now() - startedAt < maxMs) {
      const index = next++;
      const callStartedAt = performance.now();
      try {
        await callUnary(client.processTask.bind(client), { taskId: `bench-${index}`, type: TaskType.SIMPLE, workUnits: 0, clientId: 'bench', key: '' }, CALL_TIMEOUT_MS);
        latenciesMs.push(performance.now() - callStartedAt);
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const ms = performance.now() - startedAt;
  client.close();
  return { calls: latenciesMs.length + failed, failed, ms, latenciesMs };
}

/** One measured run of an arm, after a warm-up on the same kind of client. */
async function runArm(arm: Arm): Promise<Run> {
  await drive(arm.address, WARMUP_CALLS, MAX_RUN_MS);
  console.log(`  load average ${loadAverage()} before ${arm.name}`);
  const proxyCpuMs = (): number => arm.pids.reduce((total, pid) => total + processCpuMs(pid), 0);
  const proxyBefore = proxyCpuMs();
  const clientBefore = clientCpuMs();
  const result = await drive(arm.address, CALLS, MAX_RUN_MS);
  const run = { arm: arm.name, ...result, proxyCpuMs: proxyCpuMs() - proxyBefore, clientCpuMs: clientCpuMs() - clientBefore };
  console.log(`    ${formatRun(run)}`);
  return run;
}

function formatRun(run: Run): string {
  const sorted = [...run.latenciesMs].sort((a, b) => a - b);
  const perCallUs = (ms: number): string => `${((ms * 1_000) / Math.max(1, run.calls)).toFixed(0)} µs`;
  return [
    `${run.arm.padEnd(10)} ${String(run.calls).padStart(6)} calls in ${(run.ms / 1_000).toFixed(2)} s`,
    `${((run.calls * 1_000) / run.ms).toFixed(0).padStart(5)} calls/s`,
    `p50 ${percentile(sorted, 50).toFixed(2)} ms p99 ${percentile(sorted, 99).toFixed(2)} ms`,
    `proxy CPU ${perCallUs(run.proxyCpuMs)}/call`,
    `client CPU ${perCallUs(run.clientCpuMs)}/call`,
    `failed ${run.failed}`,
  ].join(' · ');
}

/** The same arm's runs as one: calls, time and CPU summed; percentiles over every latency. */
function combine(runs: readonly Run[]): Run {
  const sum = (pick: (run: Run) => number): number => runs.reduce((total, run) => total + pick(run), 0);
  return {
    arm: runs[0]?.arm ?? '?',
    calls: sum((run) => run.calls),
    failed: sum((run) => run.failed),
    ms: sum((run) => run.ms),
    latenciesMs: runs.flatMap((run) => run.latenciesMs),
    proxyCpuMs: sum((run) => run.proxyCpuMs),
    clientCpuMs: sum((run) => run.clientCpuMs),
  };
}

/** Resolves once `address` answers ProcessTask on every one of BACKENDS backends (a proxy that knows them all). */
async function waitForProxy(name: string, address: string): Promise<void> {
  const client = new BackendClient(address, credentials.createInsecure());
  const deadline = Date.now() + READY_TIMEOUT_MS;
  const seen = new Set<string>();
  let lastError = 'no call made';
  while (Date.now() < deadline) {
    try {
      const response = await callUnary(client.processTask.bind(client), { taskId: 'ready', type: TaskType.SIMPLE, workUnits: 0, clientId: 'bench', key: '' }, 1_000);
      seen.add(response.backendAddress);
      if (seen.size >= BACKENDS) return client.close();
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      await sleep(100);
    }
  }
  client.close();
  throw new Error(`${name} at ${address} did not reach ${BACKENDS} backends in ${READY_TIMEOUT_MS} ms (reached ${seen.size}; last error: ${lastError})`);
}

/** One more lbx LB on the cluster's registry with an older forwarding: the same backends; run like the cluster's LB. */
function startLbWithForwarding(clusterLbPid: number, port: number, forwarding: 'h2' | 'grpc'): ResultPromise {
  const argv = readFileSync(`/proc/${clusterLbPid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  const serveAt = argv.indexOf('serve');
  const nodeFlags = argv.slice(1, argv.indexOf(lbxBin));
  const flags = argv.slice(serveAt + 2);
  // Its own port, id and no metrics, xDS or cluster-dir marker (those belong to the cluster's LB); the rest as the supervisor gave it.
  const dropped = new Set(['--port', '--metrics-port', '--xds-port', '--cluster-dir', '--id']);
  const kept: string[] = [];
  for (let index = 0; index < flags.length; index += 1) {
    const flag = flags[index] as string;
    if (dropped.has(flag)) index += 1;
    else kept.push(flag);
  }
  return execa(
    process.execPath,
    [...nodeFlags, lbxBin, 'serve', 'lb', ...kept, '--port', String(port), '--id', `bench-${forwarding}-lb-${port}`, '--proxy-forwarding', forwarding],
    {
      env,
      reject: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
    },
  );
}

/** A private NGINX (one worker, no master, everything in `dir`) proxying gRPC to the backends with least_conn. */
function startNginx(dir: string, port: number, backends: readonly string[]): ResultPromise {
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'master_process off;',
      'worker_processes 1;',
      `error_log ${dir}/error.log;`,
      `pid ${dir}/nginx.pid;`,
      'events { worker_connections 1024; }',
      'http {',
      '  access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
      `  upstream backends { least_conn; ${backends.map((address) => `server ${address};`).join(' ')} keepalive 64; }`,
      `  server { listen 127.0.0.1:${port} http2; location / { grpc_pass grpc://backends; } }`,
      '}',
      '',
    ].join('\n'),
  );
  return execa(NGINX, ['-p', dir, '-c', conf], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
}

/** Every haproxy process under the data-plane role (its master and worker): status names the lbx role process that runs them. */
function haproxyPids(rolePid: number): number[] {
  const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  const children = (pid: number): number[] => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const found: number[] = [];
  const visit = (pid: number): void => {
    if (comm(pid) === 'haproxy') found.push(pid);
    for (const child of children(pid)) visit(child);
  };
  visit(rolePid);
  if (found.length === 0) throw new Error(`no haproxy process under the data-plane role (pid ${rolePid})`);
  return found;
}

interface StatusJson {
  readonly components: ReadonlyArray<{ readonly role: string; readonly address: string; readonly pid: number }>;
}

const basePort = await freeBasePort();
const started: ResultPromise[] = [];
try {
  console.log(
    `data planes: ${BACKENDS} backends (lc), unary ProcessTask SIMPLE, ${CALLS} calls at concurrency ${CONCURRENCY} per run (at most ${MAX_RUN_MS / 1_000} s), ${ROUNDS} rounds`,
  );
  // With HAProxy installed the cluster runs it too (lbx up --proxy haproxy): the LB still forwards on its own port.
  const hasHaproxy = existsSync(HAPROXY);
  await lbx(['up', '--mode', 'proxy', ...(hasHaproxy ? ['--proxy', 'haproxy'] : []), '--policy', 'lc', '--backends', String(BACKENDS), '--base-port', String(basePort)]);
  const status = await lbx<StatusJson>(['status']);
  const lb = status.components.find((component) => component.role === 'lb');
  const backends = status.components.filter((component) => component.role === 'backend').map((component) => component.address);
  if (lb === undefined) throw new Error('the cluster has no LB in lbx status');
  const arms: Arm[] = [{ name: 'lbx relay', address: lb.address, pids: [lb.pid] }];
  for (const forwarding of ['h2', 'grpc'] as const) {
    const port = await freePort();
    const olderLb = startLbWithForwarding(lb.pid, port, forwarding);
    started.push(olderLb);
    arms.push({ name: `lbx ${forwarding}`, address: `127.0.0.1:${port}`, pids: [olderLb.pid as number] });
  }
  const dataPlane = status.components.find((component) => component.role === 'dataplane');
  if (dataPlane !== undefined) arms.push({ name: 'haproxy', address: dataPlane.address, pids: haproxyPids(dataPlane.pid) });
  else console.log(`  (no ${HAPROXY}: the haproxy arm is skipped)`);
  if (existsSync(NGINX)) {
    const nginxPort = await freePort();
    const nginx = startNginx(mkdtempSync(path.join(home, 'nginx-')), nginxPort, backends);
    started.push(nginx);
    arms.push({ name: 'nginx', address: `127.0.0.1:${nginxPort}`, pids: [nginx.pid as number] });
  } else console.log(`  (no ${NGINX}: the nginx arm is skipped)`);
  for (const arm of arms) await waitForProxy(arm.name, arm.address);
  // The backends are shared: warm them (and every proxy) once before any run, or the first arm measured pays for it.
  for (const arm of arms) await drive(arm.address, WARMUP_CALLS, MAX_RUN_MS);
  const runs: Run[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    console.log(`round ${round}`);
    for (const arm of arms) runs.push(await runArm(arm));
  }
  printSummary(arms, runs);
} finally {
  for (const child of started) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
  await Promise.all(started);
  await execa(process.execPath, [lbxBin, 'down'], { env, reject: false, timeout: 60_000, stdin: 'ignore' });
  rmSync(home, { recursive: true, force: true });
}

function printSummary(arms: readonly Arm[], runs: readonly Run[]): void {
  console.log('per arm, all rounds:');
  const combined = arms.map((arm) => combine(runs.filter((run) => run.arm === arm.name)));
  for (const run of combined) console.log(`  ${formatRun(run)}`);
  const nginx = combined.find((run) => run.arm === 'nginx');
  if (nginx === undefined) return;
  const rate = (run: Run): number => run.calls / run.ms;
  const cpu = (run: Run): number => run.proxyCpuMs / Math.max(1, run.calls);
  for (const run of combined.filter((candidate) => candidate !== nginx)) {
    const throughput = rate(run) / rate(nginx);
    const cpuRatio = cpu(run) / cpu(nginx);
    console.log(
      `  ${run.arm} vs nginx: throughput ${throughput.toFixed(2)}× (target ≥ 1: ${throughput >= 1 ? 'met' : 'missed'}), proxy CPU per call ${cpuRatio.toFixed(2)}× (target ≤ 2: ${cpuRatio <= 2 ? 'met' : 'missed'})`,
    );
  }
}

// The issue's client table: direct unary, look-aside send and proxy send, on clusters of their own.
// LBX_BENCH_PLANES_PARTS=proxies skips it.
if (process.env.LBX_BENCH_PLANES_PARTS !== 'proxies') {
  const { benchClients } = await import('./bench-clients.js');
  await benchClients();
}
