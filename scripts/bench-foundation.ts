// `npm run bench` (or `-- foundation`): figures for the foundation targets, from one run on this machine (a script, not a test).
//
// Prints: up-to-ready for 4 backends; 10,000 SIMPLE tasks at concurrency 64 through the LB and
// straight to one backend (the ceiling), and their ratio; RSS per component; `lbx --help` start time.
// Machines here are shared and noisy, so LB and direct runs alternate and the best of each is kept.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runSend, type SendResult } from '../src/runtime/client/send-run.js';
import { median } from './bench-stats.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = path.join(root, 'bin/lbx.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-'));
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const CLUSTER = ['--name', 'bench', '--base-port', '9000'];
const TASKS = 10_000;
const CONCURRENCY = 64;
const ROUNDS = 2;

const lbx = (args: string[]): string => execFileSync(process.execPath, [lbxBin, ...args], { env, encoding: 'utf8' });

const rssMb = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
};

const row = (label: string, value: string, target = '', ok?: boolean): void => {
  const verdict = ok === undefined ? '' : ok ? 'ok' : 'MISSED';
  console.log(`${label.padEnd(44)} ${value.padStart(14)}  ${target.padEnd(16)} ${verdict}`);
};

async function main(): Promise<void> {
  console.log(`lbx bench: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}\n`);

  const helpMs: number[] = [];
  for (let index = 0; index < 5; index += 1) {
    const startedAt = performance.now();
    spawnSync(process.execPath, [lbxBin, '--help'], { env, stdio: 'ignore' });
    helpMs.push(performance.now() - startedAt);
  }

  const upStartedAt = performance.now();
  const up = JSON.parse(lbx(['up', ...CLUSTER, '--backends', '4', '--policy', 'rr', '--json'])) as {
    readyMs: number;
    supervisorPid: number;
    lbAddress: string;
    components: Array<{ name: string; address: string; pid: number; role: string }>;
  };
  const upWallMs = performance.now() - upStartedAt;
  try {
    const backend = up.components.find((component) => component.role === 'backend');
    if (!backend) throw new Error('no backend in the cluster');
    const send = (kind: 'lb' | 'direct' | 'lb-unary', count: number): Promise<SendResult> =>
      runSend({
        target: kind === 'direct' ? { kind, address: backend.address } : { kind: 'lb', address: up.lbAddress },
        pickTransport: kind === 'lb-unary' ? 'unary' : 'stream',
        simple: count,
        heavy: 0,
        concurrency: CONCURRENCY,
        timeoutMs: 5_000,
        maxAttempts: 3,
        workUnits: 0,
        seed: 1,
      });

    await send('lb', 2_000); // warm-up: JIT, channels
    await send('direct', 2_000);
    const lbRuns: SendResult[] = [];
    const directRuns: SendResult[] = [];
    const unaryRuns: SendResult[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      lbRuns.push(await send('lb', TASKS));
      directRuns.push(await send('direct', TASKS));
      unaryRuns.push(await send('lb-unary', TASKS));
    }
    const best = (runs: SendResult[]): SendResult => runs.reduce((a, b) => (b.summary.throughputPerSec > a.summary.throughputPerSec ? b : a));
    const lb = best(lbRuns).summary;
    const direct = best(directRuns).summary;
    const unary = best(unaryRuns).summary;
    const failed = [...lbRuns, ...directRuns, ...unaryRuns].reduce((sum, run) => sum + run.summary.failed, 0);
    const ratio = lb.throughputPerSec / direct.throughputPerSec;

    row('figure', 'measured', 'target');
    row('up → ready, 4 backends (supervisor)', `${up.readyMs} ms`, '< 3000 ms', up.readyMs < 3_000);
    row('up → ready, 4 backends (wall, incl. CLI)', `${Math.round(upWallMs)} ms`);
    row(`LB path (pick stream): ${TASKS} SIMPLE @ c=${CONCURRENCY}`, `${Math.round(lb.throughputPerSec)}/s`);
    row('  latency p50 / p90 / p99 / max (ms)', `${lb.latencyMs.p50} / ${lb.latencyMs.p90} / ${lb.latencyMs.p99} / ${lb.latencyMs.max}`);
    row(`direct to one backend: ${TASKS} @ c=${CONCURRENCY}`, `${Math.round(direct.throughputPerSec)}/s`);
    row('  latency p50 / p90 / p99 / max (ms)', `${direct.latencyMs.p50} / ${direct.latencyMs.p90} / ${direct.latencyMs.p99} / ${direct.latencyMs.max}`);
    row('LB path / direct path', ratio.toFixed(2), '≥ 0.45', ratio >= 0.45);
    row('  for comparison: unary GetServer per task', `${Math.round(unary.throughputPerSec)}/s`, `ratio ${(unary.throughputPerSec / direct.throughputPerSec).toFixed(2)}`);
    row('failed requests (all runs)', String(failed), '0', failed === 0);
    row('RSS supervisor', `${rssMb(up.supervisorPid).toFixed(1)} MB`);
    for (const component of up.components) {
      const mb = rssMb(component.pid);
      row(`RSS ${component.name}`, `${mb.toFixed(1)} MB`, component.role === 'backend' ? '< 80 MB' : '', component.role === 'backend' ? mb < 80 : undefined);
    }
    const help = median(helpMs);
    row('lbx --help (median of 5)', `${Math.round(help)} ms`, '< 400 ms', help < 400);
  } finally {
    lbx(['down', '--name', 'bench']);
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
