// `npm run bench -- registries`: the same cluster on every registry this machine has (a script, not a test).
//
// For each of embedded, etcd and consul (the last two when their binary is on PATH): `up` to
// ready with 4 backends; how long a backend stays in the registry's healthy set after its
// SIGKILL, supervised (the supervisor deregisters it on its exit notice) and on the registry's
// own signal alone (a backend started by hand: TCP check for Consul's API, lease expiry for
// etcd); how long after a graceful stop (SIGTERM: it deregisters itself); and `send`
// throughput, which should not depend on the registry at all.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createRegistry, type RegistryKind } from '../src/runtime/registry/create-registry.js';
import { BACKEND_SERVICE } from '../src/runtime/registry/service-names.js';
import type { RegistryClient } from '../src/runtime/registry/registry-contract.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const lbxBin = path.join(root, 'bin/lbx.js');
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-registries-'));
const env = { ...process.env, LBX_HOME: home, CI: '1' };
const POLL_MS = 5;
const WAIT_LIMIT_MS = 30_000;
const SEND = ['--simple', '10000', '--concurrency', '64'];

const lbx = (args: string[]): string => execFileSync(process.execPath, [lbxBin, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const onPath = (binary: string): boolean => spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;

/** Polls until `condition` holds; the time it took, in ms. */
async function timeUntil(condition: () => Promise<boolean>): Promise<number> {
  const startedAt = performance.now();
  while (!(await condition())) {
    if (performance.now() - startedAt > WAIT_LIMIT_MS) throw new Error(`not within ${WAIT_LIMIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return performance.now() - startedAt;
}

const listed = async (registry: RegistryClient, id: string): Promise<boolean> => (await registry.resolve(BACKEND_SERVICE)).some((instance) => instance.id === id);

interface Figures {
  readonly kind: RegistryKind;
  readonly upMs: number;
  readonly upWallMs: number;
  readonly killSupervisedMs: number;
  readonly killSignalMs: number;
  readonly gracefulMs: number;
  readonly throughput: number;
  readonly failed: number;
}

async function benchRegistry(kind: RegistryKind, basePort: number): Promise<Figures> {
  const name = `reg-${kind}`;
  const upStartedAt = performance.now();
  const up = JSON.parse(lbx(['up', '--name', name, '--base-port', String(basePort), '--backends', '4', '--registry', kind, '--json'])) as {
    readyMs: number;
    lbAddress: string;
    registryAddress: string;
  };
  const upWallMs = performance.now() - upStartedAt;
  // The Consul API client serves the embedded registry too.
  const registry = createRegistry({ kind: kind === 'embedded' ? 'consul' : kind, address: up.registryAddress, cluster: name });
  const handStarted: ChildProcess[] = [];
  try {
    // Supervised: the supervisor sees the exit and deregisters at once.
    const killedPort = basePort + 2;
    const status = JSON.parse(lbx(['status', '--name', name, '--json'])) as { components: Array<{ name: string; pid: number }> };
    const victim = status.components.find((component) => component.name === `backend-${killedPort}`);
    if (victim === undefined) throw new Error(`no backend-${killedPort} in the cluster`);
    // The pid of a child of our own cluster, signalled directly so the CLI's start-up is not in the figure.
    const killedAt = performance.now();
    process.kill(victim.pid, 'SIGKILL');
    await timeUntil(async () => !(await listed(registry, `backend-${killedPort}`)));
    const killSupervisedMs = performance.now() - killedAt;

    // The registry's own signal: a backend started by hand, which nobody deregisters for it.
    const startByHand = async (port: number): Promise<ChildProcess> => {
      const child = spawn(
        process.execPath,
        [
          lbxBin,
          'serve',
          'backend',
          '--port',
          String(port),
          '--registry',
          kind === 'embedded' ? 'consul' : kind,
          '--registry-addr',
          up.registryAddress,
          '--cluster',
          name,
          '--lb-addr',
          up.lbAddress,
          '--token-file',
          path.join(home, name, 'control.token'),
        ],
        { env, stdio: 'ignore' },
      );
      handStarted.push(child);
      await timeUntil(() => listed(registry, `backend-${port}`));
      return child;
    };
    const crashed = await startByHand(basePort + 50);
    const crashedAt = performance.now();
    crashed.kill('SIGKILL');
    await timeUntil(async () => !(await listed(registry, `backend-${basePort + 50}`)));
    const killSignalMs = performance.now() - crashedAt;

    const leaving = await startByHand(basePort + 51);
    const leftAt = performance.now();
    leaving.kill('SIGTERM');
    await timeUntil(async () => !(await listed(registry, `backend-${basePort + 51}`)));
    const gracefulMs = performance.now() - leftAt;

    const run = JSON.parse(lbx(['send', '--name', name, ...SEND, '--json'])) as { summary: { throughputPerSec: number; failed: number } };
    return { kind, upMs: up.readyMs, upWallMs, killSupervisedMs, killSignalMs, gracefulMs, throughput: run.summary.throughputPerSec, failed: run.summary.failed };
  } finally {
    for (const child of handStarted) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    registry.close();
    lbx(['down', '--name', name]);
  }
}

async function main(): Promise<void> {
  console.log(`lbx bench registries: ${os.cpus().length} cores, node ${process.version}, ${new Date().toISOString()}\n`);
  const kinds: Array<{ kind: RegistryKind; basePort: number }> = [{ kind: 'embedded', basePort: 28_000 }];
  if (onPath('etcd')) kinds.push({ kind: 'etcd', basePort: 28_200 });
  else console.log('etcd: skipped (no etcd binary on PATH; apt-get install etcd-server)');
  if (onPath('consul')) kinds.push({ kind: 'consul', basePort: 28_400 });
  else console.log('consul: skipped (no consul binary on PATH)');

  const rows: Figures[] = [];
  for (const { kind, basePort } of kinds) rows.push(await benchRegistry(kind, basePort));

  const ms = (value: number): string => `${Math.round(value).toLocaleString('en-US')} ms`;
  console.log(
    `\n${'registry'.padEnd(10)} ${'up → ready (wall)'.padStart(20)} ${'SIGKILL, supervised'.padStart(20)} ${'SIGKILL, own signal'.padStart(20)} ${'SIGTERM'.padStart(10)} ${'send'.padStart(10)} failed`,
  );
  for (const row of rows) {
    console.log(
      `${row.kind.padEnd(10)} ${`${ms(row.upMs)} (${ms(row.upWallMs)})`.padStart(20)} ${ms(row.killSupervisedMs).padStart(20)} ${ms(row.killSignalMs).padStart(20)} ${ms(row.gracefulMs).padStart(10)} ${`${Math.round(row.throughput).toLocaleString('en-US')}/s`.padStart(10)} ${row.failed}`,
    );
  }
  console.log(
    '\nSIGKILL times run to the backend\'s disappearance from the registry\'s healthy set; "own signal" is a backend no supervisor watches (TCP check every 1 s for the Consul API, a 2 s lease for etcd).',
  );
}

try {
  await main();
} finally {
  rmSync(home, { recursive: true, force: true });
}
