// The supervisor role: run one cluster until it is shut down.
import path from 'node:path';
import type { Interfaces } from '@oclif/core';
import { clusterDirFlag } from '../flags.js';
import { logEvent, logLine } from '../role-log.js';

export const supervisorRoleFlags = {
  'cluster-dir': { ...clusterDirFlag, required: true },
};

export async function serveSupervisor(flags: Interfaces.InferredFlags<typeof supervisorRoleFlags>): Promise<void> {
  const clusterDir = path.resolve(flags['cluster-dir'] as string);
  const { clusterPaths } = await import('../../runtime/cluster/cluster-paths.js');
  const { runSupervisorProcess } = await import('../../runtime/supervisor/run-supervisor.js');
  const paths = clusterPaths(path.basename(clusterDir), path.dirname(clusterDir));
  try {
    const code = await runSupervisorProcess(paths, logEvent);
    logLine('supervisor exiting');
    process.exit(code);
  } catch (error) {
    logLine(`start failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
