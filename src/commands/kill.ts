import { Args } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag, killSignalFlag } from '../cli/flags.js';

export interface KillResult {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly signal: string;
}

export default class Kill extends LbxCommand {
  static override summary = 'Crash one backend (SIGKILL by default), chosen by its port as shown by `lbx up`.';

  static override description = `The supervisor sees the exit at once and tells the LB, so the backend stops getting traffic without waiting for a health check.

Use --signal SIGTERM for a graceful stop instead (the backend deregisters and finishes in-flight tasks).`;

  static override examples = ['<%= config.bin %> kill 7003', '<%= config.bin %> kill 7002 --signal SIGTERM --name lab2'];

  static override args = {
    port: Args.integer({ description: 'Port of the backend to kill.', required: true, min: 1, max: 65_535 }),
  };

  static override flags = {
    name: clusterNameFlag,
    signal: killSignalFlag,
  };

  async run(): Promise<KillResult> {
    const { args, flags } = await this.parse(Kill);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    try {
      const killed = await control.killBackend(args.port, flags.signal);
      if (!flags.json) this.log(`sent ${flags.signal} to ${killed.name} (pid ${killed.pid})`);
      return { name: killed.name, port: args.port, pid: killed.pid, signal: flags.signal };
    } finally {
      control.close();
    }
  }
}
