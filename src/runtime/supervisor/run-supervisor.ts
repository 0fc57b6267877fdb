// A supervisor process end to end: read the spec, open the control API, start the cluster, stop on request.
//
// Signal handlers and the "lbx up went away" abort are in place before anything starts, so
// a SIGTERM or a Ctrl-C on `up` during start-up stops every child in order.
import { promises as fs } from 'node:fs';

import { LbxError, isLbxError } from '../../core/lbx-error.js';
import { SupervisorService } from '../wire/gen/lbx/v1/supervisor.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { portLayout } from '../cluster/ports.js';
import { startGrpcServer, type RunningGrpcServer } from '../grpc/grpc-server.js';
import { requireToken } from '../grpc/bearer-token.js';
import { createControlToken, tokenFile } from '../cluster/cluster-token.js';
import { writeSupervisorIdentity } from '../cluster/supervisor-identity.js';
import { createControlService } from './control-service.js';
import { Supervisor, type SupervisorEvent } from './supervisor.js';

/** Messages the supervisor sends to the `lbx up` that spawned it. */
export type UpProgress =
  { readonly type: 'progress'; readonly event: SupervisorEvent } | { readonly type: 'ready' } | { readonly type: 'failed'; readonly message: string; readonly code: string };

const CONTROL_STOP_GRACE_MS = 500;

async function readSpec(paths: ClusterPaths): Promise<ClusterSpec> {
  try {
    return JSON.parse(await fs.readFile(paths.specFile, 'utf8')) as ClusterSpec;
  } catch (error) {
    throw new LbxError('runtime', `cannot read cluster spec ${paths.specFile}: ${(error as Error).message}`);
  }
}

/** Sends to `lbx up` over IPC and resolves once the message is handed to the OS (so an exit cannot drop it). */
function tellUp(message: UpProgress): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/**
 * Runs this process as the cluster's supervisor until the cluster is shut down.
 * Resolves with the process exit code: 0 after a clean shutdown, 1 when start-up failed.
 */
export async function runSupervisorProcess(paths: ClusterPaths, onEvent: (event: SupervisorEvent) => void): Promise<number> {
  let supervisor: Supervisor | undefined;
  let control: RunningGrpcServer | undefined;
  let isReady = false;
  let stopRequest: string | undefined;
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });

  const shutdown = async (reason: string): Promise<void> => {
    stopRequest ??= reason;
    if (supervisor === undefined) return;
    await supervisor.shutdown(reason);
    await control?.stop(CONTROL_STOP_GRACE_MS);
    resolveStopped();
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('disconnect', () => {
    if (!isReady) void shutdown('lbx up went away before the cluster was ready');
  });

  try {
    const spec = await readSpec(paths);
    supervisor = new Supervisor(paths, spec, (event) => {
      onEvent(event);
      void tellUp({ type: 'progress', event });
    });
    // The token exists before the port opens, so no call is ever served without one.
    const token = await createControlToken(paths);
    control = await startGrpcServer(spec.host, portLayout(spec.basePort).control, [
      {
        name: 'lbx.v1.Supervisor',
        definition: SupervisorService,
        implementation: requireToken(
          createControlService(supervisor, () => void shutdown('lbx down')),
          token,
          tokenFile(paths),
        ),
      },
    ]);
    if (stopRequest !== undefined) throw new LbxError('runtime', `stopped before start-up (${stopRequest})`);
    // A second witness of who runs this cluster, written once: commands find this supervisor even when the cluster file is damaged.
    const { name, controlAddress, startedAtUnixMs } = supervisor.clusterFile;
    await writeSupervisorIdentity(paths, { name, pid: process.pid, controlAddress, startedAtUnixMs });
    // Keep the logs on failure while `up` is there to read them; it removes the directory.
    await supervisor.start({ removeStateOnFailure: !process.connected });
    isReady = true;
    await tellUp({ type: 'ready' });
    if (process.connected) process.disconnect();
    await stopped;
    return 0;
  } catch (error) {
    await control?.stop(0);
    const message = error instanceof Error ? error.message : String(error);
    await tellUp({ type: 'failed', message, code: isLbxError(error) ? error.code : 'runtime' });
    throw error;
  }
}
