import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { formatDuration } from '../cli/format.js';
import { renderComponents } from '../cli/render-components.js';
import { renderXdsStatus } from '../cli/render-xds-status.js';
import { renderFaultsInForce } from '../cli/render-fault.js';
import type { StatusResult } from '../runtime/cluster/collect-status.js';

export type { StatusResult };

export default class Status extends LbxCommand {
  static override summary = "Show a cluster's components (pids, ports, state, health, uptime, metrics addresses) and its xDS clients.";

  static override description =
    "Health is probed live: grpc.health.v1 for the LB and backends, the registry's own API for the registry (Consul's status/leader, etcd's health). Exits 3 when the cluster is not running.";

  // `ps`, as in docker compose.
  static override aliases = ['ps'];

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> ps', '<%= config.bin %> status --name lab2 --json'];

  static override flags = { name: clusterNameFlag };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const { collectStatus } = await import('../runtime/cluster/collect-status.js');
    const status = await collectStatus(flags.name);
    if (!flags.json) {
      this.log(
        `cluster "${status.name}"  supervisor pid ${status.supervisorPid}  up ${formatDuration(status.uptimeMs)}  policy ${status.policy}  registry ${status.registry} at ${status.registryAddress}${status.respawn ? '  respawn on' : ''}`,
      );
      this.log('');
      this.log(renderComponents(status.components, Date.now()));
      this.log('');
      this.log(renderXdsStatus(status.xds));
      const faults = renderFaultsInForce(status.faults);
      if (faults !== '') this.log(`\n${faults}`);
    }
    return status;
  }
}
