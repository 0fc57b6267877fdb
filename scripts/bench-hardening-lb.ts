// `npm run bench -- lb-stream`: the LB's RSS under a GetServerStream client that writes picks and never reads a reply (issue 11, item 6).
//
// One cluster (2 backends) in a temporary LBX_HOME on a free base port. A raw HTTP/2 client
// (test/helpers/raw-pick-stream.ts) writes LBX_BENCH_PICKS picks (default 800,000) as fast as
// HTTP/2 takes them and reads nothing. Printed: the LB's RSS before, at its peak and at the end,
// how many picks the LB answered, how many the client could write, and how long a GetStats
// took meanwhile. LBX_BENCH_BIN=<path to bin/lbx.js> runs another build (e.g. an older checkout)
// for a before/after comparison.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { credentials } from '@grpc/grpc-js';
import { execa } from 'execa';

import { callUnary } from '../src/runtime/grpc/unary.js';
import { LoadBalancerClient } from '../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { floodPickStream } from '../test/helpers/raw-pick-stream.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = process.env.LBX_BENCH_BIN ?? path.join(root, 'bin/lbx.js');
const PICKS = Number(process.env.LBX_BENCH_PICKS ?? 800_000);
const FIRST_BASE_PORT = 23_000;
const LAYOUT_PORTS = 180;
const SAMPLE_MS = 200;
/** The flood is over when neither the client's writes nor the LB's picks moved for this long (or every pick was written and answered). */
const SETTLED_MS = 3_000;
const FLOOD_LIMIT_MS = 300_000;
const NAME = 'lbstream';

const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-lb-stream-'));
const env = { ...process.env, LBX_HOME: home, CI: '1' };

async function lbxJson<T>(args: string[]): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--name', NAME, '--json'], { env, reject: false, timeout: 120_000, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

const canListen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function freeBasePort(): Promise<number> {
  for (let base = FIRST_BASE_PORT; base + LAYOUT_PORTS < 32_768; base += 200) {
    if ((await Promise.all(Array.from({ length: LAYOUT_PORTS }, (_, offset) => canListen(base + offset)))).every(Boolean)) return base;
  }
  throw new Error(`no free range of ${LAYOUT_PORTS} ports from ${FIRST_BASE_PORT}`);
}

const rssMb = (pid: number): number => {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function timedStats(client: LoadBalancerClient): Promise<{ picks: number; ms: number }> {
  const startedAt = performance.now();
  const stats = await callUnary(client.getStats.bind(client), {}, 10_000);
  return { picks: stats.picks, ms: performance.now() - startedAt };
}

async function main(): Promise<void> {
  console.log(
    `lbx bench lb-stream: ${PICKS} picks written, none read; ${lbxBin}; load average ${os
      .loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')}`,
  );
  const basePort = await freeBasePort();
  await lbxJson(['up', '--backends', '2', '--base-port', String(basePort)]);
  const lbAddress = `127.0.0.1:${basePort + 100}`;
  const client = new LoadBalancerClient(lbAddress, credentials.createInsecure());
  try {
    const status = await lbxJson<{ components: Array<{ name: string; pid: number }> }>(['status']);
    const lbPid = status.components.find((component) => component.name === 'lb')?.pid;
    if (lbPid === undefined) throw new Error('no lb component in lbx status');
    const before = rssMb(lbPid);
    const flood = floodPickStream(lbAddress, PICKS);
    const startedAt = performance.now();
    let peak = before;
    let slowestStatsMs = 0;
    let last = '';
    let lastChangeAt = startedAt;
    let picks = 0;
    while (performance.now() - startedAt < FLOOD_LIMIT_MS) {
      await sleep(SAMPLE_MS);
      peak = Math.max(peak, rssMb(lbPid));
      const stats = await timedStats(client);
      picks = stats.picks;
      slowestStatsMs = Math.max(slowestStatsMs, stats.ms);
      const now = `${flood.written()}/${picks}`;
      if (now !== last) lastChangeAt = performance.now();
      last = now;
      if ((flood.isDone() && picks >= PICKS) || performance.now() - lastChangeAt > SETTLED_MS) break;
    }
    const floodMs = performance.now() - startedAt;
    const held = rssMb(lbPid);
    flood.close();
    await sleep(2_000);
    const after = rssMb(lbPid);
    console.log(`LB RSS before            ${before.toFixed(1)} MB`);
    console.log(`LB RSS peak under flood  ${peak.toFixed(1)} MB`);
    console.log(`LB RSS while held        ${held.toFixed(1)} MB (${(floodMs / 1_000).toFixed(1)} s into the flood)`);
    console.log(`LB RSS after disconnect  ${after.toFixed(1)} MB`);
    console.log(`picks answered by the LB ${picks}; picks the client could write ${flood.written()} of ${PICKS}`);
    console.log(`slowest GetStats meanwhile ${slowestStatsMs.toFixed(0)} ms`);
  } finally {
    client.close();
    await lbxJson(['down']).catch((error: unknown) => console.error(`down failed: ${String(error)}`));
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
