// --registry etcd end to end: a real etcd as the cluster's registry under the supervisor, and roles started by hand
// (no supervisor, no cluster directory) against an etcd of the test's own, driven by `lbx send --registry-addr`.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { findExecutable } from '../../src/runtime/registry/find-executable.js';
import { createRegistry, type RegistryConnection } from '../../src/runtime/registry/create-registry.js';
import { BACKEND_SERVICE, LB_SERVICE } from '../../src/runtime/registry/service-names.js';
import { createSandbox, eventually, killLeftovers, LBX_BIN } from '../helpers/lbx-cli.js';
import { withTimeout } from '../helpers/with-timeout.js';
import { freeBasePort } from '../helpers/free-base-port.js';

const ETCD = findExecutable('etcd');
/** A key's lease is 2 s; etcd checks expiry about every 500 ms: gone within 2 s + 1 s. */
const LEASE_GONE_BOUND_MS = 2_000 + 1_000;

// `up` on BASE_PORT (a free range): backends +1…, LB +100, control +101, etcd client +102, peer +103; by hand +202…+303; +400 for the missing etcd.
const BASE_PORT = await freeBasePort({ span: 600 });
const KILLED_PORT = BASE_PORT + 3;
const KILLED = `127.0.0.1:${KILLED_PORT}`;
const UP_REGISTRY: RegistryConnection = { kind: 'etcd', address: `127.0.0.1:${BASE_PORT + 102}`, cluster: 'default' };
// The hand-started roles and their own etcd.
const HAND = { etcdClient: BASE_PORT + 202, etcdPeer: BASE_PORT + 203, lb: BASE_PORT + 300, backends: [BASE_PORT + 301, BASE_PORT + 302], extraBackend: BASE_PORT + 303 } as const;
const HAND_REGISTRY: RegistryConnection = { kind: 'etcd', address: `127.0.0.1:${HAND.etcdClient}`, cluster: 'hand' };
const MISSING_BASE_PORT = BASE_PORT + 400;

interface Component {
  name: string;
  role: string;
  address: string;
  pid: number;
  state: string;
  health?: string;
  restarts?: number;
}
interface RunJson {
  summary: { sent: number; ok: number; failed: number; backends: Array<{ address: string; ok: number }> };
}
interface ReportJson {
  reconciliation: { matches: boolean };
  unverified: string[];
  runs: unknown[];
  backends: Array<{ address: string; clientOk: number; servedSimple: number; servedHeavy: number }>;
}
interface StatusJson {
  registry: string;
  registryAddress: string;
  components: Component[];
}

const sandbox = createSandbox('etcd');
const etcdFlow = suite('--registry etcd: up, send, kill, send, report, status, down');

etcdFlow.after(async () => {
  await sandbox.run(['down']).catch(() => undefined);
  const leftovers = killLeftovers(sandbox);
  sandbox.dispose();
  if (leftovers.length > 0) throw new Error(`teardown had to kill leftover pids ${leftovers.join(', ')}`);
});

/** The ids the registry lists as live for `service`, via lbx's etcd adapter. */
async function liveIds(connection: RegistryConnection, service: string): Promise<string[]> {
  const registry = createRegistry(connection, { requestTimeoutMs: 1_000 });
  try {
    return (await registry.resolve(service)).map((instance) => instance.id);
  } finally {
    registry.close();
  }
}

/** Waits until `id` is no longer listed; returns how long that took, or undefined after `boundMs`. */
async function timeUntilGone(connection: RegistryConnection, service: string, id: string, boundMs: number): Promise<number | undefined> {
  const startedAt = performance.now();
  const gone = await eventually(async () => !(await liveIds(connection, service).catch(() => [id])).includes(id), boundMs);
  return gone ? Math.round(performance.now() - startedAt) : undefined;
}

const whenEtcd = ETCD === undefined ? etcdFlow.skip : etcdFlow;
if (ETCD === undefined) console.log('etcd-flow: SKIPPED — no etcd binary on PATH (apt-get install etcd-server)');

whenEtcd("the whole flow on a real etcd; a killed backend's key is gone within its lease; a crashed etcd comes back with its data", async () => {
  await withTimeout(
    (async () => {
      try {
        const up = await sandbox.json<{ registry: string; registryAddress: string; components: Component[] }>(
          ['up', '--registry', 'etcd', '--backends', '4', '--policy', 'rr', '--base-port', String(BASE_PORT)],
          { timeoutMs: 60_000 },
        );
        assert.equal(up.registry, 'etcd');
        assert.equal(up.registryAddress, UP_REGISTRY.address);
        assert.equal(
          up.components.map((component) => component.role),
          ['registry', 'lb', 'backend', 'backend', 'backend', 'backend'],
        );
        const etcdDir = path.join(sandbox.home, 'default', 'etcd');
        assert.ok(existsSync(path.join(etcdDir, 'member')), `etcd keeps its data in ${etcdDir}`);
        assert.equal((await liveIds(UP_REGISTRY, BACKEND_SERVICE)).length, 4, 'the four backends are in etcd');

        const status = await sandbox.json<StatusJson>(['status']);
        assert.equal(status.registry, 'etcd');
        assert.equal(
          status.components.map((component) => component.health),
          ['serving', 'serving', 'serving', 'serving', 'serving', 'serving'],
        );

        const first = await sandbox.json<RunJson>(['send', '--simple', '1000', '--heavy', '20']);
        assert.equal([first.summary.sent, first.summary.ok, first.summary.failed], [1020, 1020, 0]);
        assert.equal(first.summary.backends.length, 4);

        const kill = await sandbox.run(['kill', String(KILLED_PORT)]);
        assert.equal(kill.exitCode, 0, kill.stderr);
        const goneMs = await timeUntilGone(UP_REGISTRY, BACKEND_SERVICE, `backend-${KILLED_PORT}`, LEASE_GONE_BOUND_MS);
        assert.ok(goneMs !== undefined, `the killed backend's key is gone from etcd within ${LEASE_GONE_BOUND_MS} ms`);

        const second = await sandbox.json<RunJson>(['send', '--simple', '1000']);
        assert.equal([second.summary.sent, second.summary.ok, second.summary.failed], [1000, 1000, 0]);
        assert.equal(second.summary.backends.map((backend) => backend.address).includes(KILLED), false, 'the killed backend got no request');

        const report = await sandbox.json<ReportJson>(['report']);
        assert.equal(report.runs.length, 2);
        assert.equal(report.unverified, []);
        assert.ok(report.reconciliation.matches, 'client ok counts match what every backend served');
        for (const backend of report.backends) assert.equal(backend.clientOk, backend.servedSimple + backend.servedHeavy, `reconciliation at ${backend.address}`);

        // A crashed etcd is started again on its data directory: the members are still there and traffic flows.
        const registry = (await sandbox.json<StatusJson>(['status'])).components.find((component) => component.role === 'registry');
        assert.ok(registry !== undefined && registry.pid > 0);
        process.kill(-registry.pid, 'SIGKILL');
        const back = await eventually(async () => {
          const again = (await sandbox.json<StatusJson>(['status']).catch(() => undefined))?.components.find((component) => component.role === 'registry');
          return again?.state === 'ready' && again.restarts === 1 && again.health === 'serving';
        }, 15_000);
        assert.ok(back, 'the supervisor starts etcd again and it serves');
        assert.ok(
          await eventually(async () => (await liveIds(UP_REGISTRY, BACKEND_SERVICE).catch(() => [])).length === 3, 5_000),
          'the three live backends are listed after the restart',
        );
        const third = await sandbox.json<RunJson>(['send', '--simple', '300']);
        assert.equal([third.summary.ok, third.summary.failed], [300, 0]);

        const after = await sandbox.json<StatusJson>(['status']);
        assert.equal(after.registry, 'etcd');
        const registryRow = after.components.find((component) => component.role === 'registry');
        assert.equal([registryRow?.state, registryRow?.health], ['ready', 'serving']);

        const down = await sandbox.json<{ outcome: string }>(['down']);
        assert.equal(down.outcome, 'stopped');
        assert.equal(sandbox.leftoverPids(), [], 'no process of the cluster is left, etcd included');
        assert.equal(existsSync(etcdDir), false, "down removes etcd's data directory");
        console.log(`  etcd flow: killed backend's key gone after ${goneMs} ms`);
      } catch (error) {
        console.error(sandbox.logs());
        throw error;
      }
    })(),
    150_000,
    'the etcd flow',
  );
});

etcdFlow('up --registry etcd with no etcd on PATH is a usage error that says how to install it', async () => {
  // A PATH holding node alone: node's own directory may hold etcd too (/usr/bin here).
  const nodeOnly = mkdtempSync(path.join(os.tmpdir(), 'lbx-test-node-only-'));
  symlinkSync(process.execPath, path.join(nodeOnly, 'node'));
  const result = await sandbox
    .run(['up', '--name', 'no-etcd', '--registry', 'etcd', '--base-port', String(MISSING_BASE_PORT)], { env: { PATH: nodeOnly } })
    .finally(() => rmSync(nodeOnly, { recursive: true, force: true }));
  assert.equal(result.exitCode, 2, result.stderr);
  assert.match(result.stderr, /--registry etcd: no etcd binary on PATH/);
  assert.match(result.stderr, /apt-get install etcd-server/);
  assert.equal(existsSync(path.join(sandbox.home, 'no-etcd')), false, 'nothing was started or left behind');
});

etcdFlow.run();

// ---------------------------------------------------------------------------------------------

/** A process this test started by hand, with its output kept for the failure message. */
interface HandProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<void>;
}

const handSandbox = createSandbox('etcd-hand');
const handDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-test-etcd-hand-'));
const started: HandProcess[] = [];

function startHand(name: string, file: string, args: readonly string[], env: NodeJS.ProcessEnv = handSandbox.env): HandProcess {
  const logPath = path.join(handDir, `${name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(file, [...args], { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hand = { name, child, output: () => readFileSync(logPath, 'utf8'), exited };
  started.push(hand);
  return hand;
}

const isRunning = (hand: HandProcess): boolean => hand.child.exitCode === null && hand.child.signalCode === null;

/** Waits until `ready()` holds, failing at once (with its output) if the process exits first. */
async function waitUntil(hand: HandProcess, ready: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const ok = await eventually(async () => !isRunning(hand) || (await ready()), timeoutMs);
  if (!isRunning(hand)) throw new Error(`${hand.name} exited (${hand.child.exitCode ?? hand.child.signalCode}) before it was ready\n${hand.output()}`);
  if (!ok) throw new Error(`${hand.name} not ready after ${timeoutMs} ms\n${hand.output()}`);
}

/** A role by hand: `lbx serve <role>` with no supervisor and no cluster directory, ready once it says so. */
async function startRole(name: string, args: readonly string[]): Promise<HandProcess> {
  const hand = startHand(name, process.execPath, [LBX_BIN, 'serve', ...args]);
  await waitUntil(hand, () => / ready on /.test(hand.output()), 15_000);
  return hand;
}

/** SIGTERM, then the exit, bounded. */
async function stopHand(hand: HandProcess, timeoutMs = 12_000): Promise<void> {
  if (!isRunning(hand)) return;
  hand.child.kill('SIGTERM');
  await withTimeout(hand.exited, timeoutMs, `${hand.name} exit after SIGTERM`);
}

/** The number of keys under /lbx/<cluster>/, read with etcd's own JSON gateway (not lbx's adapter). */
async function countClusterKeys(connection: RegistryConnection): Promise<number> {
  const prefix = `/lbx/${connection.cluster}/`;
  const end = `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1)}`;
  const response = await fetch(`http://${connection.address}/v3/kv/range`, {
    method: 'POST',
    body: JSON.stringify({ key: Buffer.from(prefix).toString('base64'), range_end: Buffer.from(end).toString('base64'), count_only: true }),
    signal: AbortSignal.timeout(2_000),
  });
  const body = (await response.json()) as { count?: string };
  return Number(body.count ?? 0);
}

const roleArgs = ['--registry', 'etcd', '--registry-addr', HAND_REGISTRY.address, '--cluster', HAND_REGISTRY.cluster];
const hand = suite('roles started by hand against an external etcd: serve lb, serve backend, send --registry-addr');

hand.after(async () => {
  // Roles first (they deregister), then etcd; anything that does not stop in time is killed.
  for (const role of [...started].reverse()) {
    await stopHand(role).catch(() => role.child.kill('SIGKILL'));
  }
  const stuck = started.filter(isRunning).map((role) => `${role.name} (pid ${role.child.pid})`);
  rmSync(handDir, { recursive: true, force: true });
  handSandbox.dispose();
  if (stuck.length > 0) throw new Error(`still running after teardown: ${stuck.join(', ')}`);
});

const whenEtcdHand = ETCD === undefined ? hand.skip : hand;

whenEtcdHand('no supervisor: 500 tasks with 0 failed, a SIGKILLed backend leaves with its lease, SIGTERMed roles deregister at once', async () => {
  await withTimeout(
    (async () => {
      try {
        const peerUrl = `http://127.0.0.1:${HAND.etcdPeer}`;
        const etcd = startHand(
          'etcd',
          ETCD as string,
          [
            '--name',
            'hand',
            '--data-dir',
            path.join(handDir, 'etcd'),
            '--listen-client-urls',
            `http://127.0.0.1:${HAND.etcdClient}`,
            '--advertise-client-urls',
            `http://127.0.0.1:${HAND.etcdClient}`,
            '--listen-peer-urls',
            peerUrl,
            '--initial-advertise-peer-urls',
            peerUrl,
            '--initial-cluster',
            `hand=${peerUrl}`,
            '--logger',
            'zap',
            '--log-outputs',
            'stderr',
          ],
          process.env,
        );
        await waitUntil(
          etcd,
          async () => {
            const response = await fetch(`http://127.0.0.1:${HAND.etcdClient}/health`, { signal: AbortSignal.timeout(500) }).catch(() => undefined);
            return response !== undefined && ((await response.json()) as { health?: string }).health === 'true';
          },
          15_000,
        );

        const lb = await startRole('lb', ['lb', '--port', String(HAND.lb), ...roleArgs]);
        assert.match(lb.output(), /warning: no --token-file: RegisterServer, DeregisterServer, ReportLoad and SetPolicy are open/);
        const backends = await Promise.all(HAND.backends.map((port) => startRole(`backend-${port}`, ['backend', '--port', String(port), ...roleArgs])));
        assert.equal(
          await liveIds(HAND_REGISTRY, BACKEND_SERVICE),
          HAND.backends.map((port) => `backend-${port}`),
        );
        assert.equal(await liveIds(HAND_REGISTRY, LB_SERVICE), [`lb-${HAND.lb}`]);

        const sent = await handSandbox.json<RunJson>([
          'send',
          '--registry',
          'etcd',
          '--registry-addr',
          HAND_REGISTRY.address,
          '--cluster',
          HAND_REGISTRY.cluster,
          '--simple',
          '500',
        ]);
        assert.equal([sent.summary.sent, sent.summary.ok, sent.summary.failed], [500, 500, 0]);
        assert.equal(
          sent.summary.backends.map((backend) => backend.address).sort(),
          HAND.backends.map((port) => `127.0.0.1:${port}`),
        );
        assert.equal(readdirSync(handSandbox.home), [], 'a run through --registry-addr is not saved under any cluster directory');

        // Nobody deregisters a SIGKILLed role here: its key goes when its lease runs out.
        const doomed = await startRole(`backend-${HAND.extraBackend}`, ['backend', '--port', String(HAND.extraBackend), ...roleArgs]);
        assert.ok((await liveIds(HAND_REGISTRY, BACKEND_SERVICE)).includes(`backend-${HAND.extraBackend}`));
        doomed.child.kill('SIGKILL');
        await withTimeout(doomed.exited, 2_000, 'the SIGKILLed backend exit');
        const leaseGoneMs = await timeUntilGone(HAND_REGISTRY, BACKEND_SERVICE, `backend-${HAND.extraBackend}`, LEASE_GONE_BOUND_MS);
        assert.ok(leaseGoneMs !== undefined, `the SIGKILLed backend's key expired within ${LEASE_GONE_BOUND_MS} ms`);
        assert.ok(leaseGoneMs > 500, `the key outlived its owner for a while (${leaseGoneMs} ms): it went with the lease, not a deregistration`);

        // SIGTERM: each role deletes its own key before it exits; one read right after the exit must not find it.
        for (const [index, backend] of backends.entries()) {
          await stopHand(backend);
          assert.equal(backend.child.exitCode, 0, backend.output());
          const ids = await liveIds(HAND_REGISTRY, BACKEND_SERVICE);
          assert.equal(ids.includes(`backend-${HAND.backends[index]}`), false, `backend-${HAND.backends[index]} deregistered on SIGTERM`);
        }
        await stopHand(lb);
        assert.equal(lb.child.exitCode, 0, lb.output());
        assert.equal(await liveIds(HAND_REGISTRY, LB_SERVICE), [], 'the LB deregistered on SIGTERM');
        assert.equal(await countClusterKeys(HAND_REGISTRY), 0, 'no key of the cluster is left in etcd');
        console.log(`  by hand: SIGKILLed backend's key expired after ${leaseGoneMs} ms`);
      } catch (error) {
        for (const role of started) console.error(`--- ${role.name} ---\n${role.output().split('\n').slice(-30).join('\n')}`);
        throw error;
      }
    })(),
    90_000,
    'roles by hand against etcd',
  );
});

hand.run();
