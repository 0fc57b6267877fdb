// The backend role: serve tasks until stopped, draining on SIGTERM.
import type { Interfaces } from '@oclif/core';
// The flags module alone: a role process loads neither oclif's config nor the rest of its index (see role-entry.ts).
import * as Flags from '@oclif/core/flags';
import { clusterDirFlag, durationFlag, hostFlag, registryAddressFlag, registryClusterFlag, registryConnectionFromFlags, registryKindFlag, tokenFileFlag } from '../flags.js';
import { logEvent, logLine, runForever } from '../role-log.js';
import { MAX_WEIGHT, MIN_SPEED, MIN_WEIGHT, parseFactor } from '../number-lists.js';
import { DEFAULT_HEAVY_WORK_UNITS, MAX_WORK_UNITS } from '../../runtime/backend/cpu-work.js';
import type { BackendOptions } from '../../runtime/backend/backend-options.js';

export const backendRoleFlags = {
  host: hostFlag,
  port: Flags.integer({ description: 'gRPC port.', min: 1, max: 65_535, required: true }),
  'registry-addr': registryAddressFlag,
  registry: registryKindFlag,
  cluster: registryClusterFlag,
  'lb-addr': Flags.string({ description: 'LB address, host:port (default: found through the registry).' }),
  id: Flags.string({ description: 'Instance id (default: backend-<port>).' }),
  'report-interval': durationFlag({ description: 'Load report interval (50ms–1m).', minMs: 50, maxMs: 60_000, defaultMs: 500 }),
  'check-interval': durationFlag({ description: 'Registry health-check interval (100ms–1m).', minMs: 100, maxMs: 60_000, defaultMs: 1_000 }),
  'heavy-work-units': Flags.integer({
    description: `Default CPU_HEAVY size in work units (about 0.55 ms each here; ${DEFAULT_HEAVY_WORK_UNITS} ≈ 30 ms).`,
    min: 1,
    max: MAX_WORK_UNITS,
    default: DEFAULT_HEAVY_WORK_UNITS,
  }),
  weight: Flags.string({ description: 'Relative capacity announced to the LB for weighted policies (above 0, up to 1000).', default: '1' }),
  speed: Flags.string({ description: 'CPU_HEAVY speed relative to a full-speed backend: 0.25 makes each heavy task cost 4 times as much (above 0, up to 100).', default: '1' }),
  'metrics-port': Flags.integer({
    description: 'Serve Prometheus metrics at http://HOST:PORT/metrics (0 = off; lbx up uses the gRPC port + 110).',
    min: 0,
    max: 65_535,
    default: 0,
  }),
  'token-file': tokenFileFlag,
  'cluster-dir': clusterDirFlag,
};

export type BackendRoleFlags = Interfaces.InferredFlags<typeof backendRoleFlags>;

/** What a backend runs with, from its flags; a process role and a worker thread of a backend host (`up --backend-processes`) share it. */
export async function backendOptionsFromFlags(flags: BackendRoleFlags, onEvent: BackendOptions['onEvent']): Promise<BackendOptions> {
  const { servedCountsFile } = await import('../../runtime/backend/durable-served-counts.js');
  const id = flags.id ?? `backend-${flags.port}`;
  return {
    host: flags.host,
    port: flags.port,
    id,
    registry: registryConnectionFromFlags(flags),
    lbAddress: flags['lb-addr'],
    reportIntervalMs: flags['report-interval'],
    checkIntervalMs: flags['check-interval'],
    defaultHeavyUnits: flags['heavy-work-units'],
    weight: parseFactor('--weight', flags.weight, MAX_WEIGHT, MIN_WEIGHT),
    speed: parseFactor('--speed', flags.speed, 100, MIN_SPEED),
    // Under a supervisor, counts survive a crash so `lbx report` can check them (see durable-served-counts.ts).
    ...(flags['token-file'] ? { tokenFile: flags['token-file'] } : {}),
    ...(flags['metrics-port'] > 0 ? { metricsPort: flags['metrics-port'] } : {}),
    ...(flags['cluster-dir'] ? { servedCountsFile: servedCountsFile(flags['cluster-dir'], id) } : {}),
    onEvent,
  };
}

export async function serveBackend(flags: BackendRoleFlags): Promise<void> {
  const { startBackend } = await import('../../runtime/backend/backend-server.js');
  const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  const { collectStartupGarbageSoon } = await import('../../runtime/process/startup-garbage.js');
  const starting = startBackend(await backendOptionsFromFlags(flags, (event) => logEvent(event)));
  // Listening for SIGTERM before start-up ends: a backend stopped while it registers still
  // finishes registering and then deregisters, instead of dying with its registration left behind.
  stopOnSignalOrOrphan(
    async (reason) => {
      const backend = await starting.catch(() => undefined);
      await backend?.stop(reason, reason === 'supervisor-gone' ? 500 : undefined);
    },
    { onStopFailed: logLine },
  );
  const backend = await starting;
  logLine(`backend ready on ${backend.address}`);
  announceReady(backend.address);
  collectStartupGarbageSoon();
  await runForever();
}
