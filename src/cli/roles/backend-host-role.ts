// The backend-host role (`up --backend-processes K`): serves the backends the supervisor starts in it, one worker thread each.
import type { Interfaces } from '@oclif/core';
import * as Flags from '@oclif/core/flags';

import { clusterDirFlag } from '../flags.js';
import { MAX_BACKENDS_PER_THREAD } from '../../core/scale/backends-per-thread.js';
import { logLine, runForever } from '../role-log.js';
import { bundledEntryArgs } from '../../runtime/process/role-bundle.js';
import type { BackendOptions } from '../../runtime/backend/backend-options.js';
import type { BackendRoleFlags } from './backend-role.js';

export const backendHostRoleFlags = {
  'cluster-dir': clusterDirFlag,
  'backends-per-thread': Flags.integer({
    description: 'Backends each worker thread serves (see runtime/backend/backend-host.ts).',
    min: 1,
    max: MAX_BACKENDS_PER_THREAD,
    default: 1,
  }),
};

/** Longer than a backend's whole drain (leave LB and registry, 200 ms, 5 s of in-flight work, final report): see STOP_GRACE_MS. */
const HOST_STOP_DEADLINE_MS = 13_000;

/**
 * The worker's code: the bundle `npm run build` makes (build/backend-worker.cjs, run with its code cache; a worker loads
 * it in well under half the CPU of 150 modules), unless it is missing or older than the build, else the worker's own module.
 */
const workerEntry = (): [string, ...string[]] => bundledEntryArgs('backend-worker.cjs', new URL('./backend-worker.js', import.meta.url));

export async function serveBackendHost(flags: Interfaces.InferredFlags<typeof backendHostRoleFlags>): Promise<void> {
  const backendsPerThread = flags['backends-per-thread'];
  const { BackendHost } = await import('../../runtime/backend/backend-host.js');
  const { announceReady, isSupervised, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  if (!isSupervised()) throw new Error('serve backend-host runs only under a supervisor (lbx up --backend-processes K)');
  const { parse } = await import('@oclif/core/parser');
  const { backendOptionsFromFlags, backendRoleFlags } = await import('./backend-role.js');
  // Parsed here, once per process: each worker then loads only the backend's own code.
  const parseArgv = async (argv: readonly string[]): Promise<Omit<BackendOptions, 'onEvent'>> => {
    const parsed = await parse([...argv], { flags: backendRoleFlags, args: {}, strict: true });
    const { onEvent: _onEvent, ...options } = await backendOptionsFromFlags(parsed.flags as BackendRoleFlags, () => undefined);
    return options;
  };
  const host = new BackendHost(workerEntry(), parseArgv, (report) => process.send?.(report), logLine, backendsPerThread);
  process.on('message', (request) => host.handle(request as Parameters<typeof host.handle>[0]));
  stopOnSignalOrOrphan(
    async (reason) => {
      logLine(`stopping ${host.size} backends (${reason})`);
      await host.stopAll(reason === 'supervisor-gone' ? 'supervisor-gone' : 'SIGTERM');
    },
    { stopDeadlineMs: HOST_STOP_DEADLINE_MS, onStopFailed: logLine },
  );
  logLine(`backend host ready (pid ${process.pid})`);
  announceReady(`pid ${process.pid}`);
  await runForever();
}
