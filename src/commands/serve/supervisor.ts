import path from 'node:path';

import type { Interfaces } from '@oclif/core';

import { LbxCommand } from '../../cli/lbx-command.js';
import { clusterDirFlag } from '../../cli/flags.js';
import { logEvent, logLine, runForever } from '../../cli/role-log.js';

export default class ServeSupervisor extends LbxCommand {
  static override description = 'Run a cluster supervisor (started by `lbx up`; not meant to be run by hand).';
  static override hidden = true;

  static override flags = {
    'cluster-dir': { ...clusterDirFlag, required: true },
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeSupervisor);
    await ServeSupervisor.serve(flags);
  }

  /** Runs the role with parsed flags; also the entry of the lean start path (src/cli/role-entry.ts). */
  static async serve(flags: Interfaces.InferredFlags<typeof ServeSupervisor.flags>): Promise<void> {
    const clusterDir = path.resolve(flags['cluster-dir'] as string);
    const { clusterPaths } = await import('../../runtime/cluster/cluster-paths.js');
    const { readSpec, runSupervisor } = await import('../../runtime/supervisor/run-supervisor.js');
    const { isLbxError } = await import('../../core/lbx-error.js');
    type UpProgress = import('../../runtime/supervisor/run-supervisor.js').UpProgress;

    // `lbx up` listens on the IPC channel until the cluster is ready, then leaves; later sends are dropped.
    const tellUp = (message: UpProgress): void => {
      if (process.connected) process.send?.(message);
    };
    const paths = clusterPaths(path.basename(clusterDir), path.dirname(clusterDir));
    try {
      const spec = await readSpec(paths);
      const run = await runSupervisor(paths, spec, (event) => {
        logEvent(event);
        tellUp({ type: 'progress', event });
      });
      tellUp({ type: 'ready' });
      if (process.connected) process.disconnect();
      const stopOn = (signal: NodeJS.Signals): void => {
        process.on(signal, () => void run.shutdown(signal));
      };
      stopOn('SIGTERM');
      stopOn('SIGINT');
      await run.stopped;
      logLine('supervisor exiting');
      process.exit(0);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logLine(`start failed: ${message}`);
      tellUp({ type: 'failed', message, code: isLbxError(error) ? error.code : 'runtime' });
      process.exit(1);
    }
    await runForever();
  }
}
