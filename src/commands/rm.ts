import { Args } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { changeJson, type ChangeJson, changeTimeoutMs, describeChange } from '../cli/backend-change.js';

/** What `rm --json` prints. */
export interface RmResult {
  readonly cluster: string;
  readonly removed: ChangeJson;
}

export default class Rm extends LbxCommand {
  static override summary = 'Remove one backend gracefully: no new assignments, in-flight tasks finish, then it exits.';

  static override description = `The backend leaves the LB and the registry first, so no request fails because of the removal; it then finishes what it has in flight (up to 5 s) and exits. Its port is free for the next \`lbx add\`.

To crash a backend instead, use \`lbx kill\`.`;

  static override examples = ['<%= config.bin %> rm 7004', '<%= config.bin %> rm 7002 --name lab2 --json'];

  static override args = {
    port: Args.integer({ description: 'Port of the backend to remove.', required: true, min: 1, max: 65_535 }),
  };

  static override flags = { name: clusterNameFlag };

  async run(): Promise<RmResult> {
    const { args, flags } = await this.parse(Rm);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    try {
      const change = await control.removeBackend(args.port, changeTimeoutMs(cluster));
      if (!flags.json) this.log(describeChange('removed', change));
      return { cluster: cluster.name, removed: changeJson(change) };
    } finally {
      control.close();
    }
  }
}
