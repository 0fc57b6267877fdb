import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { changeJson, type ChangeJson, changeTimeoutMs, describeChange } from '../cli/backend-change.js';
import { MAX_BACKENDS, MAX_DENSE_BACKENDS } from '../runtime/cluster/ports.js';

/** What `scale --json` prints. */
export interface ScaleResult {
  readonly cluster: string;
  readonly backends: number;
  readonly added: readonly ChangeJson[];
  readonly removed: readonly ChangeJson[];
  readonly elapsedMs: number;
}

export default class Scale extends LbxCommand {
  static override summary = 'Grow or shrink the set of backends while traffic runs.';

  static override description = `Growing starts new backends on the lowest free ports, all at once; they take traffic as soon as each is ready.

A backend that crashed and is not being restarted (no --respawn) does not count: growing starts it again first.

Shrinking removes the highest running ports first, gracefully (as \`lbx rm\`): no request fails because of it.`;

  static override examples = ['<%= config.bin %> scale --backends 16', '<%= config.bin %> scale -b 2 --name lab2 --json'];

  static override flags = {
    name: clusterNameFlag,
    backends: Flags.integer({
      char: 'b',
      description: `Number of backends wanted (1–${MAX_BACKENDS}; up to ${MAX_DENSE_BACKENDS} in a cluster started with --backend-processes).`,
      required: true,
      min: 1,
      max: MAX_DENSE_BACKENDS,
    }),
  };

  async run(): Promise<ScaleResult> {
    const { flags } = await this.parse(Scale);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    try {
      const result = await control.scale(flags.backends, changeTimeoutMs(cluster));
      if (!flags.json) {
        for (const change of result.added) this.log(describeChange('added', change));
        for (const change of result.removed) this.log(describeChange('removed', change));
        const changed = result.added.length + result.removed.length;
        this.log(
          changed === 0
            ? `cluster "${cluster.name}" already has ${flags.backends} backends`
            : `cluster "${cluster.name}" now has ${flags.backends} backends (${result.elapsedMs} ms)`,
        );
      }
      return { cluster: cluster.name, backends: flags.backends, added: result.added.map(changeJson), removed: result.removed.map(changeJson), elapsedMs: result.elapsedMs };
    } finally {
      control.close();
    }
  }
}
