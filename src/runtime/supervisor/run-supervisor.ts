// Runs a supervisor process end to end: read the spec, open the control API, start the cluster, stop on request.
import { promises as fs } from 'node:fs';

import { LbxError } from '../../core/lbx-error.js';
import { SupervisorService } from '../wire/gen/lbx/v1/supervisor.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { portLayout } from '../cluster/ports.js';
import { startGrpcServer } from '../grpc/grpc-server.js';
import { createControlService } from './control-service.js';
import { Supervisor, type SupervisorEvent } from './supervisor.js';

/** Messages the supervisor sends to the `lbx up` that spawned it. */
export type UpProgress =
  | { readonly type: 'progress'; readonly event: SupervisorEvent }
  | { readonly type: 'ready' }
  | { readonly type: 'failed'; readonly message: string; readonly code: string };

export interface SupervisorRun {
  /** Resolves once the cluster has been shut down (by the control API or a signal). */
  readonly stopped: Promise<void>;
  shutdown(reason: string): Promise<void>;
}

export async function readSpec(paths: ClusterPaths): Promise<ClusterSpec> {
  try {
    return JSON.parse(await fs.readFile(paths.specFile, 'utf8')) as ClusterSpec;
  } catch (error) {
    throw new LbxError('runtime', `cannot read cluster spec ${paths.specFile}: ${(error as Error).message}`);
  }
}

export async function runSupervisor(
  paths: ClusterPaths,
  spec: ClusterSpec,
  onEvent: (event: SupervisorEvent) => void,
): Promise<SupervisorRun> {
  const supervisor = new Supervisor(paths, spec, onEvent);
  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    resolveStopped = resolve;
  });
  let control: Awaited<ReturnType<typeof startGrpcServer>> | undefined;
  const shutdown = async (reason: string): Promise<void> => {
    await supervisor.shutdown(reason);
    await control?.stop(500);
    resolveStopped();
  };

  control = await startGrpcServer(spec.host, portLayout(spec.basePort).control, [
    {
      name: 'lbx.v1.Supervisor',
      definition: SupervisorService,
      implementation: createControlService(supervisor, () => void shutdown('lbx down')),
    },
  ]);
  try {
    await supervisor.start();
  } catch (error) {
    await control.stop(0);
    throw error;
  }
  return { stopped, shutdown };
}
