// `npm run bench -- xds`: lbx as the xDS control plane of stock gRPC clients (issue 13's benchmark).
//
// One cluster (4 backends, rr) in a temporary LBX_HOME on a free base port. Printed, with the load average:
//   1. kill → a stock client's last call to the killed backend (3 kills, client calling every 5 ms);
//   2. rm → its last call to the removed backend, and failed calls during the drain;
//   3. push latency to 100 ADS streams (raw xDS clients that ACK like stock ones): policy switches rr ↔ ch, from
//      the SetPolicy call to each stream receiving the new Cluster; p50/p99 over 5 switches × 100 streams;
//   4. LB RSS before and with the 100 streams;
//   5. LB RSS with 1,000 idle ADS streams (10 connections from this process, each stream asks for the Listener once and
//      never reads again): before, with them, per stream, and after they are all closed (the LB must count 0 again);
//   6. throughput: a stock client (8 calls in flight) vs lbx send (look-aside picks), SIMPLE tasks, A B A B.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { credentials } from '@grpc/grpc-js';
import { execa } from 'execa';

import type { DiscoveryResponse } from '../src/runtime/wire/gen/envoy/service/discovery/v3/discovery_subset.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-xds-'));
process.env.LBX_HOME = home;
const { ControlClient } = await import('../src/runtime/cluster/control-client.js');
const { requireRunningCluster } = await import('../src/runtime/cluster/cluster-lookup.js');
const { AggregatedDiscoveryServiceClient } = await import('../src/runtime/wire/gen/envoy/service/discovery/v3/discovery_subset.js');
const { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, XDS_SERVICE_NAME } = await import('../src/runtime/xds/xds-resources.js');
const { freeBasePort } = await import('../test/helpers/free-base-port.js');
const { ClusterLoadAssignment } = await import('../src/runtime/wire/gen/envoy/config/endpoint/v3/endpoint_subset.js');
const { HealthStatus } = await import('../src/runtime/wire/gen/envoy/config/core/v3/core_subset.js');
const { fetchXdsStatus } = await import('../src/runtime/xds/xds-admin-client.js');
const { MAX_ADS_STREAMS } = await import('../src/runtime/xds/xds-control-plane.js');

const lbxBin = path.join(root, 'bin/lbx.js');
const STOCK_CLIENT = path.join(root, 'test/helpers/stock-xds-client.ts');
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const STREAMS = Number(process.env.LBX_BENCH_XDS_STREAMS ?? 100);
const SWITCHES = 5;
/** Calls a stock client makes before a kill or rm, so the killed backend has had some. */
const CALLS_BEFORE_CHANGE = 100;
const IDLE_STREAMS = Number(process.env.LBX_BENCH_XDS_IDLE_STREAMS ?? 1_000);
/** Connections the idle streams share: each client gets its own (a local subchannel pool), 100 streams on each. */
const IDLE_CONNECTIONS = 10;
const ADMIN_TIMEOUT_MS = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function lbx<T>(args: string[]): Promise<T> {
  const result = await execa(process.execPath, [lbxBin, ...args, '--json'], { env, reject: false, timeout: 180_000, stdin: 'ignore' });
  if (result.exitCode !== 0) throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return JSON.parse(String(result.stdout)) as T;
}

interface Call {
  readonly atUnixMs: number;
  readonly ok: boolean;
  readonly backend: string;
}

/** Resolves once the child has printed `count` lines (one per call). */
function linesPrinted(child: ReturnType<typeof execa>, count: number): Promise<void> {
  return new Promise((resolve) => {
    let lines = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      lines += chunk.toString().split('\n').length - 1;
      if (lines >= count) resolve();
    });
  });
}

/** A stock client process (grpc-js-xds) calling until `calls` are done; resolves its calls. */
async function stockCalls(bootstrap: string, plan: Record<string, unknown>, during?: () => Promise<void>): Promise<{ calls: Call[]; ms: number }> {
  const startedAt = performance.now();
  const child = execa(process.execPath, ['--import', 'tsx', STOCK_CLIENT, JSON.stringify(plan)], {
    cwd: root,
    env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: bootstrap },
    reject: false,
    timeout: 300_000,
    stdin: 'ignore',
  });
  if (during) {
    // The change comes once the client is calling (its start takes seconds on a loaded machine), so it has a before.
    await Promise.race([linesPrinted(child, CALLS_BEFORE_CHANGE), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
    await during();
  }
  const result = await child;
  if (result.exitCode !== 0) throw new Error(`stock client exited ${result.exitCode}: ${result.stderr}`);
  const calls = String(result.stdout)
    .split('\n')
    .filter((line) => line.startsWith('{"i"'))
    .map((line) => JSON.parse(line) as Call);
  return { calls, ms: performance.now() - startedAt };
}

async function killAndRemove(control: InstanceType<typeof ControlClient>, bootstrap: string, ports: number[], xdsAddress: string): Promise<void> {
  const lastCallAfter = (calls: readonly Call[], address: string, t0: number): string => {
    const times = calls.filter((call) => call.backend === address).map((call) => call.atUnixMs);
    return times.length === 0 ? 'never (no call reached it)' : `${Math.max(...times) - t0} ms`;
  };
  for (const port of ports.slice(0, 3)) {
    let t0 = 0;
    const { calls } = await stockCalls(bootstrap, { calls: 700, intervalMs: 5 }, async () => {
      t0 = Date.now();
      await control.killBackend(port, 'SIGKILL');
    });
    console.log(
      `  kill ${port}: last call to it ${lastCallAfter(calls, `127.0.0.1:${port}`, t0)} after the kill call; failed calls ${calls.filter((call) => !call.ok).length}/${calls.length}`,
    );
    await control.startBackend(port, 30_000);
  }
  let t0 = 0;
  const port = ports[3]!;
  // A raw ADS stream beside the stock client: when does the endpoint arrive as DRAINING?
  let drainingAt = 0;
  const watcher = openStreams(
    xdsAddress,
    () => undefined,
    1,
    (response, atMs) => {
      if (drainingAt === 0 && t0 > 0 && response.typeUrl === ENDPOINT_TYPE) {
        const assignment = ClusterLoadAssignment.decode(response.resources[0]?.value ?? new Uint8Array());
        const draining = assignment.endpoints
          .flatMap((locality) => locality.lbEndpoints)
          .some((endpoint) => endpoint.endpoint?.address?.socketAddress?.portValue === port && endpoint.healthStatus === HealthStatus.DRAINING);
        if (draining) drainingAt = atMs;
      }
    },
  );
  let t0Perf = 0;
  const { calls } = await stockCalls(bootstrap, { calls: 700, intervalMs: 5 }, async () => {
    t0 = Date.now();
    t0Perf = performance.now();
    await control.removeBackend(port, 30_000);
  });
  watcher.close();
  console.log(
    `  rm ${port}: DRAINING received ${drainingAt > 0 ? `${(drainingAt - t0Perf).toFixed(1)} ms` : 'never'} after the rm call; last call to it ${lastCallAfter(calls, `127.0.0.1:${port}`, t0)} after; failed calls ${calls.filter((call) => !call.ok).length}/${calls.length}`,
  );
  await control.startBackend(port, 30_000);
}

/** STREAMS raw ADS streams subscribed to Listener, Cluster and the endpoints, ACKing every response. */
function openStreams(
  xdsAddress: string,
  onCluster: (stream: number, atMs: number) => void,
  count = STREAMS,
  onResponse: (response: DiscoveryResponse, atMs: number) => void = () => undefined,
): { close(): void; ready: () => number } {
  const client = new AggregatedDiscoveryServiceClient(xdsAddress, credentials.createInsecure());
  let ready = 0;
  const streams = Array.from({ length: count }, (_, index) => {
    const stream = client.streamAggregatedResources();
    const node = { id: `bench-${index}`, cluster: '', locality: { region: '', zone: 'bench', subZone: '' }, userAgentName: 'bench', clientFeatures: [] };
    const received = new Set<string>();
    stream.on('data', (response: DiscoveryResponse) => {
      onResponse(response, performance.now());
      if (response.typeUrl === CLUSTER_TYPE) onCluster(index, performance.now());
      if (!received.has(response.typeUrl)) {
        received.add(response.typeUrl);
        if (received.size === 3) ready += 1;
      }
      stream.write({
        versionInfo: response.versionInfo,
        node,
        resourceNames: response.typeUrl === ENDPOINT_TYPE ? [XDS_SERVICE_NAME] : [],
        typeUrl: response.typeUrl,
        responseNonce: response.nonce,
        errorDetail: undefined,
      });
    });
    stream.on('error', () => undefined);
    for (const typeUrl of [LISTENER_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE]) {
      stream.write({ versionInfo: '', node, resourceNames: typeUrl === ENDPOINT_TYPE ? [XDS_SERVICE_NAME] : [], typeUrl, responseNonce: '', errorDetail: undefined });
    }
    return stream;
  });
  return {
    ready: () => ready,
    close: () => {
      for (const stream of streams) stream.cancel();
      client.close();
    },
  };
}

async function pushLatency(control: InstanceType<typeof ControlClient>, xdsAddress: string, lbPid: number): Promise<void> {
  const rssBefore = rssMb(lbPid);
  let switchedAt = 0;
  const latencies: number[] = [];
  const streams = openStreams(xdsAddress, (_stream, atMs) => {
    if (switchedAt > 0) latencies.push(atMs - switchedAt);
  });
  for (let waited = 0; streams.ready() < STREAMS && waited < 20_000; waited += 50) await sleep(50);
  const rssWith = rssMb(lbPid);
  for (let round = 0; round < SWITCHES; round += 1) {
    switchedAt = performance.now();
    await control.setPolicy({ policy: round % 2 === 0 ? 'ch' : 'rr', config: undefined });
    await sleep(1_000);
  }
  streams.close();
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `  push latency, SetPolicy call → Cluster received, ${STREAMS} streams × ${SWITCHES} switches (${sorted.length} pushes): p50 ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${(sorted.at(-1) ?? NaN).toFixed(1)} ms`,
  );
  console.log(`  LB RSS: ${rssBefore.toFixed(1)} MB before, ${rssWith.toFixed(1)} MB with ${streams.ready()} ADS streams connected`);
}

/** IDLE_STREAMS ADS streams that each ask for the Listener once; with no 'data' listener nothing is ever read from them. */
function openIdleStreams(xdsAddress: string): { close(): void } {
  const clients = Array.from(
    { length: IDLE_CONNECTIONS },
    () => new AggregatedDiscoveryServiceClient(xdsAddress, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }),
  );
  const streams = Array.from({ length: IDLE_STREAMS }, (_, index) => {
    const stream = clients[index % IDLE_CONNECTIONS]!.streamAggregatedResources();
    const node = { id: `idle-${index}`, cluster: '', locality: { region: '', zone: 'bench', subZone: '' }, userAgentName: 'bench-idle', clientFeatures: [] };
    stream.on('error', () => undefined); // CANCELLED when closed below
    stream.write({ versionInfo: '', node, resourceNames: [], typeUrl: LISTENER_TYPE, responseNonce: '', errorDetail: undefined });
    return stream;
  });
  return {
    close: () => {
      for (const stream of streams) stream.cancel();
      for (const client of clients) client.close();
    },
  };
}

/** Polls the LB's xDS clients until `isDone(count)` or `timeoutMs`; returns the last count. */
async function waitForXdsClients(xdsAddress: string, isDone: (count: number) => boolean, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const count = (await fetchXdsStatus(xdsAddress, ADMIN_TIMEOUT_MS)).clients.length;
    if (isDone(count) || performance.now() > deadline) return count;
    await sleep(200);
  }
}

async function idleStreamMemory(xdsAddress: string, lbPid: number): Promise<void> {
  // The push-latency streams are cancelled just before: measured from none connected.
  await waitForXdsClients(xdsAddress, (count) => count === 0, 10_000);
  const rssBefore = rssMb(lbPid);
  const idle = openIdleStreams(xdsAddress);
  let connected = 0;
  let rssWith = NaN;
  try {
    connected = await waitForXdsClients(xdsAddress, (count) => count >= IDLE_STREAMS, 30_000);
    await sleep(1_000); // what the LB allocated for them is in place, not still arriving
    rssWith = rssMb(lbPid);
  } finally {
    idle.close();
  }
  const left = await waitForXdsClients(xdsAddress, (count) => count === 0, 10_000);
  const rssAfter = rssMb(lbPid);
  console.log(
    `  LB RSS with ${IDLE_STREAMS} idle ADS streams (${IDLE_CONNECTIONS} connections, one Listener request each, never read; cap MAX_ADS_STREAMS ${MAX_ADS_STREAMS}): ${rssBefore.toFixed(1)} MB before, ${rssWith.toFixed(1)} MB with ${connected} connected, ${(((rssWith - rssBefore) * 1024) / Math.max(1, connected)).toFixed(1)} KB per stream; ${rssAfter.toFixed(1)} MB after closing them (${left} left open)`,
  );
  if (connected < IDLE_STREAMS || left !== 0) throw new Error(`idle streams: ${connected} of ${IDLE_STREAMS} connected, ${left} still open after closing`);
}

async function throughput(bootstrap: string): Promise<void> {
  const rates: Record<string, number[]> = { stock: [], lbx: [] };
  for (let round = 0; round < 2; round += 1) {
    const stock = await stockCalls(bootstrap, { calls: 4_000, intervalMs: 0, concurrency: 8 });
    rates['stock']!.push((stock.calls.filter((call) => call.ok).length / stock.ms) * 1_000);
    const send = await lbx<{ summary: { throughputPerSec: number } }>(['send', '--simple', '4000', '--concurrency', '8']);
    rates['lbx']!.push(send.summary.throughputPerSec);
  }
  const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
  console.log(
    `  throughput (SIMPLE, 8 in flight, A B A B): stock xDS client ${rates['stock']!.map((rate) => rate.toFixed(0)).join(', ')} calls/s (incl. process start); lbx send ${rates['lbx']!.map((rate) => rate.toFixed(0)).join(', ')} tasks/s; ratio ${(mean(rates['stock']!) / mean(rates['lbx']!)).toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  console.log(`lbx bench xds: load average ${loadAverage()}`);
  const basePort = await freeBasePort();
  await lbx(['up', '--backends', '4', '--base-port', String(basePort)]);
  const cluster = await requireRunningCluster('default');
  const control = new ControlClient(cluster);
  try {
    const bootstrap = String((await execa(process.execPath, [lbxBin, 'xds', 'bootstrap', '--node-id', 'bench'], { env })).stdout);
    const status = await lbx<{ components: { name: string; pid: number }[] }>(['status']);
    const lbPid = status.components.find((component) => component.name === 'lb')!.pid;
    const ports = [1, 2, 3, 4].map((index) => basePort + index);
    console.log('kill and rm, followed by a stock grpc-js-xds client:');
    await killAndRemove(control, bootstrap, ports, `127.0.0.1:${basePort + 107}`);
    console.log(`push latency and memory (load average ${loadAverage()}):`);
    await pushLatency(control, `127.0.0.1:${basePort + 107}`, lbPid);
    await control.setPolicy({ policy: 'rr', config: undefined });
    console.log(`idle streams (load average ${loadAverage()}):`);
    await idleStreamMemory(`127.0.0.1:${basePort + 107}`, lbPid);
    console.log(`throughput (load average ${loadAverage()}):`);
    await throughput(bootstrap);
  } finally {
    control.close();
    await execa(process.execPath, [lbxBin, 'down'], { env, reject: false });
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
