import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { changeJson, type ChangeJson, changeTimeoutMs, describeChange } from '../cli/backend-change.js';
import { MAX_WEIGHT, MIN_SPEED, MIN_WEIGHT, parseFactor } from '../cli/number-lists.js';

/** What `add --json` prints. */
export interface AddResult {
  readonly cluster: string;
  readonly added: ChangeJson;
  readonly speed: number;
  readonly weight: number;
}

export default class Add extends LbxCommand {
  static override summary = 'Start one more backend, on the lowest free backend port, while traffic runs.';

  static override description = `The new backend registers with the registry and the LB and takes traffic as soon as it is ready.

Weighted policies use its --weight; --speed makes it slower (or faster) at CPU_HEAVY work, as on another machine.`;

  static override examples = ['<%= config.bin %> add', '<%= config.bin %> add --speed 0.5 --weight 2', '<%= config.bin %> add --name lab2 --json'];

  static override flags = {
    name: clusterNameFlag,
    speed: Flags.string({ description: `CPU_HEAVY speed (${MIN_SPEED}–100; 0.25 pays 4 times the work).`, default: '1' }),
    weight: Flags.string({ description: `Weight for weighted policies (${MIN_WEIGHT}–${MAX_WEIGHT}).`, default: '1' }),
  };

  async run(): Promise<AddResult> {
    const { flags } = await this.parse(Add);
    const speed = parseFactor('--speed', flags.speed, 100, MIN_SPEED);
    const weight = parseFactor('--weight', flags.weight, MAX_WEIGHT, MIN_WEIGHT);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    try {
      const change = await control.addBackend({ speed, weight }, changeTimeoutMs(cluster));
      if (!flags.json) this.log(describeChange('added', change));
      return { cluster: cluster.name, added: changeJson(change), speed, weight };
    } finally {
      control.close();
    }
  }
}
