import { Args } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { changeJson, type ChangeJson, changeTimeoutMs, describeChange } from '../cli/backend-change.js';

/** What `start --json` prints. */
export interface StartResult {
  readonly cluster: string;
  readonly started: ChangeJson;
}

export default class Start extends LbxCommand {
  static override summary = 'Start again a backend that was killed or crashed, on the same port.';

  static override description = `The backend registers again and takes traffic as soon as it is ready. With \`lbx up --respawn\` the supervisor does this by itself.`;

  static override examples = ['<%= config.bin %> kill 7003 && <%= config.bin %> start 7003', '<%= config.bin %> start 7002 --name lab2 --json'];

  static override args = {
    port: Args.integer({ description: 'Port of the backend to start.', required: true, min: 1, max: 65_535 }),
  };

  static override flags = { name: clusterNameFlag };

  async run(): Promise<StartResult> {
    const { args, flags } = await this.parse(Start);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    try {
      const change = await control.startBackend(args.port, changeTimeoutMs(cluster));
      if (!flags.json) this.log(describeChange('started', change));
      return { cluster: cluster.name, started: changeJson(change) };
    } finally {
      control.close();
    }
  }
}
