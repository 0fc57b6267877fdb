// `npm run bench -- gray`: gray failures and the policies and defences that answer them (issue 15's benchmark).
//
// One cluster of 6 backends in a temporary LBX_HOME on a free base port: backend 1 answers 200 ms late, backend 2
// fails 5 % of calls with UNAVAILABLE, backend 3 never answers 1 % of them (the client's 1 s deadline ends them),
// backends 4–6 are healthy. The same seeded workload (3,000 SIMPLE + 150 CPU_HEAVY, 16 in flight) runs under
// rr, lc, p2c, ewma and pq, each twice, alternating: without defences (no retries) and with them (2 retries within
// a 20 % retry budget, hedging after 60 ms). Per arm: goodput, error rate, p50/p99/p99.9, the healthy backends'
// own p99 in the same arm (the baseline), the ratio of the two, and whether report reconciles. The load average
// is printed before each arm. LB outlier ejection is on in every arm (it is always on).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-gray-'));
const { freeBasePort } = await import('../test/helpers/free-base-port.js');
const lbxBin = path.join(root, 'bin/lbx.js');
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const NAME = 'gray';

const POLICIES = (process.env.LBX_BENCH_GRAY_POLICIES ?? 'rr,lc,p2c,ewma,pq').split(',');
const WORKLOAD = ['--simple', '3000', '--heavy', '150', '--seed', '7', '--concurrency', '16', '--timeout', '1s'];
const ARMS = {
  none: ['--retries', '0'],
  defended: ['--retries', '2', '--retry-budget', '20%', '--hedge', '60ms'],
} as const;

interface BackendRow {
  readonly address: string;
  readonly ok: number;
  readonly latencyMs: { readonly p99: number };
}
interface Sent {
  readonly summary: {
    readonly sent: number;
    readonly ok: number;
    readonly failed: number;
    readonly elapsedMs: number;
    readonly latencyMs: { readonly p50: number; readonly p99: number; readonly p999?: number };
    readonly backends: readonly BackendRow[];
  };
}

const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

async function lbx<T>(args: string[], allowFailure = false): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--name', NAME, '--json'], { env, reject: false, timeout: 300_000, stdin: 'ignore' });
  if (result.exitCode !== 0 && !allowFailure) throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

interface ArmFigures {
  readonly policy: string;
  readonly arm: string;
  readonly goodput: number;
  readonly errorRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly healthyP99: number;
  readonly reconciles: boolean;
}

function figures(policy: string, arm: string, sent: Sent, healthy: readonly string[], reconciles: boolean): ArmFigures {
  const { summary } = sent;
  const healthyP99 = Math.max(0, ...summary.backends.filter((backend) => healthy.includes(backend.address)).map((backend) => backend.latencyMs.p99));
  return {
    policy,
    arm,
    goodput: summary.ok / (summary.elapsedMs / 1_000),
    errorRate: summary.failed / Math.max(1, summary.sent),
    p50: summary.latencyMs.p50,
    p99: summary.latencyMs.p99,
    p999: summary.latencyMs.p999 ?? Number.NaN,
    healthyP99,
    reconciles,
  };
}

const pad = (text: string, width: number): string => text.padStart(width);

function printTable(rows: readonly ArmFigures[]): void {
  console.log(
    `\n${'POLICY'.padEnd(7)} ${'ARM'.padEnd(9)} ${pad('GOODPUT', 9)} ${pad('ERRORS', 8)} ${pad('P50', 7)} ${pad('P99', 7)} ${pad('P99.9', 7)} ${pad('HEALTHY P99', 12)} ${pad('RATIO', 6)}  RECONCILES`,
  );
  for (const row of rows) {
    const ratio = row.healthyP99 > 0 ? row.p99 / row.healthyP99 : Number.NaN;
    console.log(
      `${row.policy.padEnd(7)} ${row.arm.padEnd(9)} ${pad(`${row.goodput.toFixed(0)}/s`, 9)} ${pad(`${(row.errorRate * 100).toFixed(2)}%`, 8)} ${pad(row.p50.toFixed(1), 7)} ${pad(row.p99.toFixed(0), 7)} ${pad(row.p999.toFixed(0), 7)} ${pad(row.healthyP99.toFixed(0), 12)} ${pad(ratio.toFixed(2), 6)}  ${row.reconciles ? 'yes' : 'NO'}`,
    );
  }
}

try {
  const basePort = await freeBasePort();
  await lbx(['up', '--backends', '6', '--base-port', String(basePort)]);
  const address = (index: number): string => `127.0.0.1:${basePort + 1 + index}`;
  await lbx(['fault', String(basePort + 1), '--latency', '200ms']);
  await lbx(['fault', String(basePort + 2), '--errors', '5%', '--error-code', 'unavailable']);
  await lbx(['fault', String(basePort + 3), '--hang', '1%']);
  const healthy = [3, 4, 5].map(address);
  console.log(`gray scenario on 6 backends (base port ${basePort}): ${address(0)} +200 ms, ${address(1)} 5% UNAVAILABLE, ${address(2)} 1% hang, 3 healthy`);
  console.log(`workload: ${WORKLOAD.join(' ')}; arms: none = ${ARMS.none.join(' ')}; defended = ${ARMS.defended.join(' ')}`);
  const rows: ArmFigures[] = [];
  for (const policy of POLICIES) {
    await lbx(['policy', policy]);
    for (const [arm, flags] of Object.entries(ARMS)) {
      console.log(`load average before ${policy}/${arm}: ${loadAverage()}`);
      const sent = await lbx<Sent>(['send', ...WORKLOAD, ...flags], true);
      const report = await lbx<{ reconciliation: { matches: boolean } }>(['report']);
      rows.push(figures(policy, arm, sent, healthy, report.reconciliation.matches));
    }
  }
  printTable(rows);
  const best = [...rows].filter((row) => row.arm === 'defended').sort((a, b) => a.p99 / a.healthyP99 - b.p99 / b.healthyP99)[0];
  if (best !== undefined) {
    const ratio = best.p99 / best.healthyP99;
    console.log(
      `\nbest defended: ${best.policy}: p99 ${best.p99.toFixed(0)} ms = ${ratio.toFixed(2)}× its healthy backends' p99 (target ≤ 1.5×), errors ${(best.errorRate * 100).toFixed(2)}% (target ≤ 0.1%)`,
    );
  }
  // The cleanest baseline: healthy backends' p99 with no defence adding attempts (round robin, no retries or hedges).
  const clean = rows.find((row) => row.policy === POLICIES[0] && row.arm === 'none');
  if (best !== undefined && clean !== undefined && clean.healthyP99 > 0) {
    console.log(`against ${clean.policy}/none's healthy backends (${clean.healthyP99.toFixed(0)} ms, no extra attempts): ${(best.p99 / clean.healthyP99).toFixed(2)}×`);
  }
  console.log(`every arm reconciles: ${rows.every((row) => row.reconciles) ? 'yes' : 'NO'}`);
} finally {
  await execa(process.execPath, [lbxBin, 'down', '--name', NAME], { env, reject: false, stdin: 'ignore' });
  rmSync(home, { recursive: true, force: true });
}
