// The registry contract, the same cases against every registry this machine has, each run as a real process on
// loopback: the embedded registry (lbx serve registry), etcd, and a real Consul when a consul binary is on PATH.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createControlToken, tokenFile } from '../../src/runtime/cluster/cluster-token.js';
import { createRegistry, type CreateRegistryOptions, type RegistryConnection, type RegistryKind } from '../../src/runtime/registry/create-registry.js';
import { ETCD_LEASE_TTL_S } from '../../src/runtime/registry/etcd/etcd-registry-client.js';
import { findExecutable } from '../../src/runtime/registry/find-executable.js';
import type { HealthSignal, KeeperEvent, RegistryClient, ServiceInstance } from '../../src/runtime/registry/registry-contract.js';
import { waitFor } from '../../src/runtime/process/wait-for.js';
import { openTcpTarget } from '../helpers/registry-kit.js';
import { withTimeout } from '../helpers/with-timeout.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LBX_BIN = path.join(root, 'bin/lbx.js');

/** Ports this file may use; each is checked free before use. */
const PORT_MIN = 25_000;
const PORT_MAX = 25_999;
/** The TCP check of Consul-API registries; a dead instance must be gone within DEAD_CHECK_INTERVALS of them. */
const CHECK_INTERVAL_MS = 250;
const DEAD_CHECK_INTERVALS = 5;
const TCP_CHECK: HealthSignal = { kind: 'tcp', intervalMs: CHECK_INTERVAL_MS, timeoutMs: CHECK_INTERVAL_MS };
const VISIBLE_WITHIN_MS = 1_000;
const CONSUL_MIN_CHECK_INTERVAL_MS = 1_000;
const DEREGISTERED_WITHIN_MS = 500;
const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 10_000;
const CASE_TIMEOUT_MS = 20_000;
const CLIENT_OPTIONS = { requestTimeoutMs: 2_000, watchRetryMaxMs: 500, watchWaitMs: 5_000 };

// ---------- processes ----------

/** A child in its own process group, its output kept (the tail) for a failing test's message. */
interface Child {
  readonly pid: number;
  readonly exited: Promise<string>;
  isRunning(): boolean;
  output(): string;
  /** Resolves once `text` has appeared in its output; rejects if it exits first or after `ms`. */
  untilOutput(text: string, ms: number): Promise<void>;
  signal(signal: NodeJS.Signals): void;
}

const liveChildren = new Set<ChildProcess>();
// Last resort if the test process ends without its after hooks: nothing it started may outlive it.
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

function startChild(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; ipc?: boolean; stdin?: boolean } = {}): Child {
  // Something in the test process sets FORCE_COLOR, which makes Node warn next to NO_COLOR in every child.
  const { FORCE_COLOR: _forceColor, ...inherited } = process.env;
  const child = spawn(command, args, {
    cwd: root,
    env: { ...inherited, NO_COLOR: '1', ...options.env },
    detached: true,
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  liveChildren.add(child);
  let output = '';
  const onOutput = new Set<() => void>();
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-16_000);
    for (const listener of [...onOutput]) listener();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let isRunning = true;
  const exited = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      isRunning = false;
      liveChildren.delete(child);
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    });
  });
  return {
    pid: child.pid,
    exited,
    isRunning: () => isRunning,
    output: () => output,
    async untilOutput(text, ms) {
      let listener: (() => void) | undefined;
      const seen = new Promise<void>((resolve) => {
        listener = () => {
          if (output.includes(text)) resolve();
        };
        onOutput.add(listener);
        listener();
      });
      const died = exited.then((how) => {
        if (!output.includes(text)) throw new Error(`pid ${child.pid} exited (${how}) before printing "${text}":\n${output}`);
      });
      try {
        await withTimeout(Promise.race([seen, died]), ms, `"${text}" from pid ${child.pid}`);
      } finally {
        if (listener) onOutput.delete(listener);
      }
    },
    signal(signal) {
      try {
        process.kill(child.pid as number, signal);
      } catch (error) {
        // ESRCH: it is already gone, which is what we wanted.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    },
  };
}

/** SIGTERM by pid, then SIGKILL if it has not exited within the grace period. */
async function stopChild(child: Child | undefined): Promise<void> {
  if (child === undefined || !child.isRunning()) return;
  child.signal('SIGTERM');
  const exitedInTime = await withTimeout(child.exited, STOP_GRACE_MS, 'stop').then(
    () => true,
    () => false,
  );
  if (!exitedInTime) {
    child.signal('SIGKILL');
    await withTimeout(child.exited, 5_000, `pid ${child.pid} after SIGKILL`);
  }
}

const handedOut = new Set<number>();

/** A port in 25000–25999 that nothing listens on now and that this file has not used yet. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN + 1));
    if (handedOut.has(port)) continue;
    const isFree = await new Promise<boolean>((resolve) => {
      const probe = net.createServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (isFree) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port in ${PORT_MIN}–${PORT_MAX}`);
}

// ---------- registries under test ----------

/** A registry as a process this file starts, stops and starts again on the same port (and data). */
interface RegistryUnderTest {
  readonly kind: RegistryKind;
  readonly connection: RegistryConnection;
  /** What a client that may write needs besides the connection (the embedded registry's cluster token file). */
  readonly clientOptions: CreateRegistryOptions;
  /** Within how long after register() a watcher must see the instance. */
  readonly visibleWithinMs: number;
  /** Within how long after its process or listener dies an instance must leave the healthy set. */
  readonly deadWithinMs: number;
  /** How the registry learns an instance died: 'listener' (a TCP check on a listener we close) or 'process' (its lease lapses). */
  readonly deathBy: 'listener' | 'process';
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops it and removes what it left on disk. */
  dispose(): Promise<void>;
  logs(): string;
}

/** Starts `launch()` and polls the registry's leader()/health until it answers, failing early if the process exits. */
async function startAndWait(name: string, connection: RegistryConnection, launch: () => Child): Promise<Child> {
  const child = launch();
  const probe = createRegistry(connection, { requestTimeoutMs: 500 });
  try {
    const ready = waitFor(async () => ((await probe.leader()) !== '' ? true : undefined), {
      description: `${name} on ${connection.address}`,
      timeoutMs: READY_TIMEOUT_MS,
      intervalMs: 50,
    });
    const early = child.exited.then((how) => {
      throw new Error(`${name} exited (${how}) before it was ready\n${child.output()}`);
    });
    await Promise.race([ready, early]);
    return child;
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    probe.close();
  }
}

/** A registry run as `launch()`, stopped by SIGTERM and started again with the same arguments (same port, same data). */
function registryProcess(spec: {
  name: string;
  connection: RegistryConnection;
  visibleWithinMs?: number;
  deadWithinMs: number;
  deathBy: 'listener' | 'process';
  launch: () => Child;
  dataDir?: string;
  clientOptions?: CreateRegistryOptions;
}): RegistryUnderTest {
  let child: Child | undefined;
  let earlierLogs = '';
  const stop = async (): Promise<void> => {
    await stopChild(child);
    if (child !== undefined) earlierLogs += child.output();
    child = undefined;
  };
  return {
    kind: spec.connection.kind,
    connection: spec.connection,
    clientOptions: spec.clientOptions ?? {},
    visibleWithinMs: spec.visibleWithinMs ?? VISIBLE_WITHIN_MS,
    deadWithinMs: spec.deadWithinMs,
    deathBy: spec.deathBy,
    async start() {
      child = await startAndWait(spec.name, spec.connection, spec.launch);
    },
    stop,
    async dispose() {
      await stop();
      if (spec.dataDir !== undefined) rmSync(spec.dataDir, { recursive: true, force: true });
    },
    logs: () => earlierLogs + (child?.output() ?? ''),
  };
}

async function embeddedRegistry(): Promise<RegistryUnderTest> {
  const port = await freePort();
  // As under a supervisor: a cluster directory with its token, which every write must carry.
  const clusterDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-contract-embedded-'));
  await createControlToken({ dir: clusterDir });
  return registryProcess({
    name: 'embedded registry',
    connection: { kind: 'embedded', address: `127.0.0.1:${port}`, cluster: 'contract' },
    clientOptions: { clusterTokenFile: tokenFile({ dir: clusterDir }) },
    deadWithinMs: DEAD_CHECK_INTERVALS * CHECK_INTERVAL_MS,
    deathBy: 'listener',
    dataDir: clusterDir,
    // With an IPC channel the registry also stops when this test process disappears.
    launch: () => startChild(process.execPath, [LBX_BIN, 'serve', 'registry', '--host', '127.0.0.1', '--port', String(port), '--cluster-dir', clusterDir], { ipc: true }),
  });
}

async function etcdRegistry(binary: string): Promise<RegistryUnderTest> {
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-contract-etcd-'));
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const args = [
    ['--name', 'lbx-contract'],
    ['--data-dir', path.join(dataDir, 'data')],
    ['--listen-client-urls', clientUrl],
    ['--advertise-client-urls', clientUrl],
    ['--listen-peer-urls', peerUrl],
    ['--initial-advertise-peer-urls', peerUrl],
    ['--initial-cluster', `lbx-contract=${peerUrl}`],
  ].flat();
  return registryProcess({
    name: 'etcd',
    connection: { kind: 'etcd', address: `127.0.0.1:${clientPort}`, cluster: 'contract' },
    deadWithinMs: ETCD_LEASE_TTL_S * 1_000 + 1_000,
    deathBy: 'process',
    launch: () => startChild(binary, args),
    dataDir,
  });
}

async function consulRegistry(binary: string): Promise<RegistryUnderTest> {
  const [http, server, serfLan, serfWan] = [await freePort(), await freePort(), await freePort(), await freePort()];
  // Dev mode keeps its data in memory (a restart comes back empty, as the embedded registry does); every port is set.
  const args = [
    ['agent', '-dev', '-node', 'lbx-contract', '-bind', '127.0.0.1', '-client', '127.0.0.1'],
    ['-http-port', String(http), '-server-port', String(server), '-serf-lan-port', String(serfLan), '-serf-wan-port', String(serfWan)],
    ['-dns-port', '-1', '-grpc-port', '-1', '-grpc-tls-port', '-1'],
  ].flat();
  return registryProcess({
    name: 'consul agent -dev',
    connection: { kind: 'consul', address: `127.0.0.1:${http}`, cluster: 'contract' },
    // Consul raises check intervals below 1 s to 1 s (its MinInterval), and runs a new check first after a random
    // stagger of up to one interval: the bounds follow the interval it really uses.
    visibleWithinMs: VISIBLE_WITHIN_MS + CONSUL_MIN_CHECK_INTERVAL_MS,
    deadWithinMs: 3 * CONSUL_MIN_CHECK_INTERVAL_MS,
    deathBy: 'listener',
    launch: () => startChild(binary, args),
  });
}

// ---------- watching ----------

/** Collects a watch's sets (as sorted ids, with when they came) and errors; tests wait on them. */
class WatchRecorder {
  readonly sets: Array<{ ids: string[]; atMs: number }> = [];
  readonly errors: Error[] = [];
  private readonly waiters = new Set<() => void>();

  readonly change = (instances: ServiceInstance[]): void => {
    this.sets.push({ ids: instances.map((instance) => instance.id), atMs: performance.now() });
    this.notify();
  };

  readonly error = (error: Error): void => {
    this.errors.push(error);
    this.notify();
  };

  last(): string[] | undefined {
    return this.sets.at(-1)?.ids;
  }

  /** Resolves with the time `done()` first held (re-checked on every emission); fails after `ms`. */
  async until(done: () => boolean, ms: number, what: string): Promise<number> {
    let waiter: (() => void) | undefined;
    try {
      return await withTimeout(
        new Promise<number>((resolve) => {
          waiter = () => {
            if (done()) resolve(this.sets.at(-1)?.atMs ?? performance.now());
          };
          this.waiters.add(waiter);
          waiter();
        }),
        ms,
        `${what} (sets seen: ${JSON.stringify(this.sets.map((set) => set.ids))}; errors: ${this.errors.length})`,
      );
    } finally {
      if (waiter) this.waiters.delete(waiter);
    }
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

const instanceOf = (id: string, service: string, port: number): ServiceInstance => ({ id, service, address: '127.0.0.1', port, meta: { suite: 'contract' } });
const sameIds = (ids: string[] | undefined, expected: string[]): boolean => JSON.stringify(ids) === JSON.stringify(expected);

/**
 * Registers from a separate process that holds the registration until it is killed: the way a backend that crashes
 * leaves an etcd registry (its keepalives stop). It prints "registered" once done, and exits if this process goes away.
 */
async function registerFromChild(connection: RegistryConnection, options: CreateRegistryOptions, instance: ServiceInstance): Promise<Child> {
  const script = `
    import { createRegistry } from ${JSON.stringify(path.join(root, 'src/runtime/registry/create-registry.js'))};
    const registry = createRegistry(JSON.parse(process.env.CONTRACT_CONNECTION), JSON.parse(process.env.CONTRACT_OPTIONS));
    await registry.register(JSON.parse(process.env.CONTRACT_INSTANCE), { kind: 'ttl', ttlMs: 2000 });
    process.stdout.write('registered\\n');
    process.stdin.on('end', () => process.exit(0));
    process.stdin.resume();
  `;
  const child = startChild(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    stdin: true,
    env: { CONTRACT_CONNECTION: JSON.stringify(connection), CONTRACT_OPTIONS: JSON.stringify(options), CONTRACT_INSTANCE: JSON.stringify(instance) },
  });
  try {
    await child.untilOutput('registered', 15_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return child;
}

// ---------- the contract ----------

interface Context {
  registry?: RegistryUnderTest;
  startError?: unknown;
  /** Watches; one client per role, as in a cluster. */
  watcher?: RegistryClient;
  /** Registers and deregisters. */
  owner?: RegistryClient;
  /** Cleanups a case leaves for after(), in case it failed half-way. */
  cleanups: Array<() => Promise<void> | void>;
  /** Measured times, printed after the suite. */
  report: string[];
}

type Ready = Required<Pick<Context, 'registry' | 'watcher' | 'owner'>> & Context;

function ready(context: Context): Ready {
  if (context.startError !== undefined) throw context.startError;
  if (context.registry === undefined || context.watcher === undefined || context.owner === undefined) throw new Error('registry not started');
  return context as Ready;
}

/** A case, bounded in time, with the registry's log printed when it fails. */
const contractCase =
  (name: string, body: (context: Ready) => Promise<void>) =>
  async (context: Context): Promise<void> => {
    const started = performance.now();
    try {
      await withTimeout(body(ready(context)), CASE_TIMEOUT_MS, name);
    } catch (error) {
      console.error(`--- ${context.registry?.kind ?? 'registry'} log (tail) ---\n${context.registry?.logs().slice(-4_000) ?? ''}`);
      throw error;
    } finally {
      context.report.push(`case "${name}" took ${Math.round(performance.now() - started)} ms`);
    }
  };

/** Watches `service` and waits for the initial set, which must be empty (every case uses its own service). */
async function watchEmpty(context: Ready, service: string): Promise<WatchRecorder> {
  const recorder = new WatchRecorder();
  const watch = context.watcher.watch(service, recorder.change, recorder.error);
  context.cleanups.push(() => watch.stop());
  await recorder.until(() => recorder.sets.length >= 1, 5_000, `the initial set of ${service}`);
  assert.equal(recorder.last(), [], `${service} starts empty`);
  return recorder;
}

/** Registers an instance on a real listener (what a TCP check dials; etcd ignores it), cleaned up after the suite. */
async function registerListening(context: Ready, id: string, service: string): Promise<{ instance: ServiceInstance; close(): Promise<void> }> {
  // A real listener for the TCP check to dial, in this file's port range; close() also drops its connections.
  const listener = await openTcpTarget(await freePort());
  context.cleanups.push(() => listener.close());
  const instance = instanceOf(id, service, listener.port);
  await context.owner.register(instance, TCP_CHECK);
  context.cleanups.push(() => context.owner.deregister(id).catch(() => undefined));
  return { instance, close: () => listener.close() };
}

/** The contract's cases, then (for etcd) the adapter's own, in one suite per registry; without `create`, every case is skipped. */
function defineContract(label: string, create: (() => Promise<RegistryUnderTest>) | undefined): void {
  const contract = suite<Context>(`registry contract: ${label}`, { cleanups: [], report: [] });
  const test: AddCase = create === undefined ? contract.skip : contract;

  contract.before(async (context) => {
    if (create === undefined) return;
    try {
      context.registry = await create();
      await context.registry.start();
      context.watcher = createRegistry(context.registry.connection, { ...CLIENT_OPTIONS, ...context.registry.clientOptions });
      context.owner = createRegistry(context.registry.connection, { ...CLIENT_OPTIONS, ...context.registry.clientOptions });
    } catch (error) {
      // uvu skips the cases' own reporting when before() throws: each case fails with this instead.
      context.startError = error;
    }
  });

  contract.after(async (context) => {
    for (const cleanup of context.cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
    context.watcher?.close();
    context.owner?.close();
    await context.registry?.dispose();
    if (context.report.length > 0) console.log(`\n${context.report.map((line) => `    ${label}: ${line}`).join('\n')}`);
  });

  test(
    "a registration becomes visible to a watcher within 1 s (Consul: its first check's stagger more)",
    contractCase('visible', async (context) => {
      const recorder = await watchEmpty(context, 'contract-visible');
      const startedAt = performance.now();
      const { instance } = await registerListening(context, 'visible-1', 'contract-visible');
      const boundMs = context.registry.visibleWithinMs;
      const seenAt = await recorder.until(() => sameIds(recorder.last(), ['visible-1']), boundMs + 1_000, 'visible-1 seen');
      const elapsedMs = seenAt - startedAt;
      context.report.push(`registration seen after ${Math.round(elapsedMs)} ms`);
      assert.ok(elapsedMs < boundMs, `seen after ${Math.round(elapsedMs)} ms (bound ${boundMs} ms)`);
      assert.equal(await context.owner.resolve('contract-visible'), [instance], 'resolve agrees, address, port and meta included');
    }),
  );

  test(
    'a live instance stays; a dead one (listener closed, or process killed) leaves the healthy set within its bound',
    contractCase('dead instance', async (context) => {
      const { registry } = context;
      const recorder = await watchEmpty(context, 'contract-dead');
      let kill: () => Promise<void>;
      if (registry.deathBy === 'process') {
        const child = await registerFromChild(registry.connection, registry.clientOptions, instanceOf('dead-1', 'contract-dead', await freePort()));
        context.cleanups.push(() => stopChild(child));
        kill = async () => {
          child.signal('SIGKILL');
          await withTimeout(child.exited, 5_000, 'the registering process after SIGKILL');
        };
      } else {
        const { close } = await registerListening(context, 'dead-1', 'contract-dead');
        kill = close;
      }
      await recorder.until(() => sameIds(recorder.last(), ['dead-1']), 5_000, 'dead-1 seen');
      // Alive for longer than the bound within which a dead one must go: the lease is kept alive / the check passes.
      // (Half an interval more, so the kill does not always land just before a check.)
      const aliveMs = registry.deadWithinMs + CHECK_INTERVAL_MS / 2;
      await new Promise((resolve) => setTimeout(resolve, aliveMs));
      assert.equal(recorder.last(), ['dead-1'], `still there after ${aliveMs} ms alive`);

      const killedAt = performance.now();
      await kill();
      const goneAt = await recorder.until(() => sameIds(recorder.last(), []), registry.deadWithinMs + 2_000, 'dead-1 gone');
      const elapsedMs = goneAt - killedAt;
      context.report.push(
        `dead instance gone ${Math.round(elapsedMs)} ms after its ${registry.deathBy === 'process' ? 'process was killed' : 'listener closed'} (bound ${registry.deadWithinMs} ms)`,
      );
      assert.ok(elapsedMs < registry.deadWithinMs, `gone after ${Math.round(elapsedMs)} ms (bound ${registry.deadWithinMs} ms)`);
    }),
  );

  test(
    'graceful deregistration is seen by the watcher at once (< 500 ms)',
    contractCase('deregistration', async (context) => {
      const recorder = await watchEmpty(context, 'contract-leave');
      await registerListening(context, 'leave-1', 'contract-leave');
      await registerListening(context, 'leave-2', 'contract-leave');
      await recorder.until(() => sameIds(recorder.last(), ['leave-1', 'leave-2']), 5_000, 'leave-1 and leave-2 seen');
      const startedAt = performance.now();
      await context.owner.deregister('leave-1');
      const goneAt = await recorder.until(() => sameIds(recorder.last(), ['leave-2']), DEREGISTERED_WITHIN_MS + 1_000, 'leave-1 gone');
      const elapsedMs = goneAt - startedAt;
      context.report.push(`deregistration seen after ${Math.round(elapsedMs)} ms`);
      assert.ok(elapsedMs < DEREGISTERED_WITHIN_MS, `seen after ${Math.round(elapsedMs)} ms (bound ${DEREGISTERED_WITHIN_MS} ms)`);
      await context.owner.deregister('leave-1'); // twice is fine
    }),
  );

  test(
    'a watcher survives a registry restart: it reports the instance again, then a registration made after the restart',
    contractCase('restart', async (context) => {
      const { registry } = context;
      const recorder = await watchEmpty(context, 'contract-restart');
      await registerListening(context, 'before-1', 'contract-restart');
      const events: KeeperEvent[] = [];
      const keeper = context.owner.keepRegistered('before-1', 200, (event) => events.push(event));
      context.cleanups.push(() => keeper.stop());
      await recorder.until(() => sameIds(recorder.last(), ['before-1']), 5_000, 'before-1 seen');

      const errorsBefore = recorder.errors.length;
      await registry.stop();
      await recorder.until(() => recorder.errors.length > errorsBefore, 5_000, 'the watcher noticing the registry is gone');
      await registry.start();

      // Back on the same port: etcd from its data dir, an in-memory registry empty until the keeper registers again.
      await waitFor(async () => ((await context.owner.resolve('contract-restart')).some((instance) => instance.id === 'before-1') ? true : undefined), {
        description: 'before-1 in the restarted registry',
        timeoutMs: 5_000,
        intervalMs: 50,
      });
      const setsBefore = recorder.sets.length;
      await registerListening(context, 'after-1', 'contract-restart');
      await recorder.until(() => recorder.sets.length > setsBefore && sameIds(recorder.last(), ['after-1', 'before-1']), 5_000, 'before-1 and after-1 seen after the restart');
      assert.ok(recorder.errors.length > errorsBefore, 'the outage was reported');
      const reRegistered = events.filter((event) => event.type === 're-registered').length;
      if (registry.kind === 'etcd') assert.is(reRegistered, 0, 'etcd kept the key and its lease across the restart');
      else assert.is(reRegistered, 1, 'the keeper registered before-1 again in the emptied registry');
    }),
  );

  if (label === 'etcd') defineEtcdCases(test);
  if (label === 'embedded') defineEmbeddedCases(test);
  contract.run();
}

// ---------- embedded only: its write ACL (a real Consul's depends on how it was set up) ----------

function defineEmbeddedCases(test: AddCase): void {
  test(
    'embedded: a client without the cluster token cannot register (HTTP 403) and leaves nothing behind',
    contractCase('write ACL', async (context) => {
      const recorder = await watchEmpty(context, 'contract-acl');
      // An empty token, so a CONSUL_HTTP_TOKEN in the environment cannot stand in for the cluster's.
      const anonymous = createRegistry(context.registry.connection, { ...CLIENT_OPTIONS, token: '' });
      context.cleanups.push(() => anonymous.close());
      const refusal = await anonymous.register(instanceOf('intruder-1', 'contract-acl', await freePort()), TCP_CHECK).then(
        () => 'registered',
        (error: Error) => error.message,
      );
      assert.match(refusal, /HTTP 403 while registering contract-acl instance intruder-1: Permission denied/, refusal);
      await context.owner.register(instanceOf('member-1', 'contract-acl', await freePort()), { kind: 'ttl', ttlMs: 30_000 });
      await context.owner.passTtl('member-1');
      await recorder.until(() => sameIds(recorder.last(), ['member-1']), 2_000, 'member-1 seen, and no intruder');
    }),
  );
}

// ---------- etcd only: what the adapter does beyond the contract ----------

/** One raw call to etcd's JSON gateway, as another etcd client (or a careless operator) would make it. */
async function etcdCall(context: Ready, route: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await withTimeout(fetch(`http://${context.registry.connection.address}${route}`, { method: 'POST', body: JSON.stringify(body) }), 5_000, route);
  return (await response.json()) as Record<string, unknown>;
}
const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const etcdKey = (service: string, id: string): string => `/lbx/contract/${service}/${id}`;

type AddCase = (name: string, handler: (context: Context) => Promise<void>) => void;

function defineEtcdCases(test: AddCase): void {
  test(
    'etcd: values lbx cannot read under the prefix are skipped by watch and resolve, never a crash',
    contractCase('malformed values', async (context) => {
      const recorder = await watchEmpty(context, 'contract-junk');
      await etcdCall(context, '/v3/kv/put', { key: base64(etcdKey('contract-junk', 'junk-1')), value: base64('not json') });
      await etcdCall(context, '/v3/kv/put', {
        key: base64(etcdKey('contract-junk', 'junk-2')),
        value: base64(JSON.stringify({ id: 'junk-2', service: 'contract-junk', address: '127.0.0.1', port: 0 })),
      });
      await etcdCall(context, '/v3/kv/put', { key: base64(`${etcdKey('contract-junk', 'junk-3')}/deeper`), value: base64('{}') });
      await registerListening(context, 'good-1', 'contract-junk');
      await recorder.until(() => sameIds(recorder.last(), ['good-1']), 2_000, 'good-1 seen');
      assert.equal(
        (await context.owner.resolve('contract-junk')).map((instance) => instance.id),
        ['good-1'],
      );
      assert.equal(
        recorder.sets.map((set) => set.ids),
        [[], ['good-1']],
        'no set ever held the junk',
      );
      assert.equal(recorder.errors, []);
    }),
  );

  test(
    "etcd: a lease lost behind the client's back (revoked, as when etcd loses its data) is replaced and the key put back",
    contractCase('lost lease', async (context) => {
      const recorder = await watchEmpty(context, 'contract-lease');
      await registerListening(context, 'lease-1', 'contract-lease');
      await recorder.until(() => sameIds(recorder.last(), ['lease-1']), 2_000, 'lease-1 seen');
      const readLease = async (): Promise<string | undefined> => {
        const reply = await etcdCall(context, '/v3/kv/range', { key: base64(etcdKey('contract-lease', 'lease-1')) });
        return (reply['kvs'] as Array<{ lease?: string }> | undefined)?.[0]?.lease;
      };
      const lost = await readLease();
      assert.ok(lost !== undefined && lost !== '0', `the key is on a lease (${lost})`);
      await etcdCall(context, '/v3/lease/revoke', { ID: lost });
      // The owner's next keepalive finds the lease gone (within a third of the TTL) and puts the key back on a new one.
      const fresh = await waitFor(
        async () => {
          const lease = await readLease();
          return lease !== undefined && lease !== lost ? lease : undefined;
        },
        { description: 'lease-1 back on a fresh lease', timeoutMs: 3_000, intervalMs: 25 },
      );
      assert.is.not(fresh, '0');
      await recorder.until(() => sameIds(recorder.last(), ['lease-1']), 2_000, 'lease-1 seen again');
      assert.is(await context.owner.ensureRegistered('lease-1'), 're-registered', 'the keeper hears about it once');
      assert.is(await context.owner.ensureRegistered('lease-1'), 'present');
    }),
  );

  test(
    'etcd: deregistering an id this client did not register deletes its key (a supervisor removing a dead backend)',
    contractCase('foreign deregistration', async (context) => {
      const recorder = await watchEmpty(context, 'contract-foreign');
      const other = createRegistry(context.registry.connection, { ...CLIENT_OPTIONS, ...context.registry.clientOptions });
      context.cleanups.push(() => other.close());
      await other.register(instanceOf('foreign-1', 'contract-foreign', await freePort()), TCP_CHECK);
      await recorder.until(() => sameIds(recorder.last(), ['foreign-1']), 2_000, 'foreign-1 seen');
      assert.is(await context.owner.ensureRegistered('foreign-1'), 'not-ours');
      const startedAt = performance.now();
      await context.owner.deregister('foreign-1');
      const goneAt = await recorder.until(() => sameIds(recorder.last(), []), DEREGISTERED_WITHIN_MS + 1_000, 'foreign-1 gone');
      assert.ok(goneAt - startedAt < DEREGISTERED_WITHIN_MS, `gone after ${Math.round(goneAt - startedAt)} ms`);
      await context.owner.deregister('never-registered');
    }),
  );
}

// ---------- which registries ----------

const etcdBinary = findExecutable('etcd');
const consulBinary = findExecutable('consul');

defineContract('embedded', embeddedRegistry);

if (etcdBinary === undefined) console.log('etcd: skipped — no etcd binary on PATH (install the Debian package etcd-server)');
defineContract('etcd', etcdBinary === undefined ? undefined : () => etcdRegistry(etcdBinary));

if (consulBinary === undefined) console.log('consul: skipped — no consul binary on PATH');
defineContract('consul', consulBinary === undefined ? undefined : () => consulRegistry(consulBinary));
