import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { formatDuration } from '../cli/format.js';
import { renderComponents, type ComponentRow } from '../cli/render-components.js';
import type { RegistryKind } from '../runtime/cluster/cluster-spec.js';
import { metricsAddressOf } from '../runtime/cluster/ports.js';
import { renderXdsStatus } from '../cli/render-xds-status.js';
import type { XdsStatusSummary } from '../runtime/xds/collect-xds-status.js';

/** The registry kind a supervisor reports; an older one that says nothing ran Consul's API. */
const toRegistryKind = (kind: string): RegistryKind => (kind === 'etcd' || kind === 'embedded' ? kind : 'consul');

export interface StatusResult {
  readonly name: string;
  readonly supervisorPid: number;
  readonly uptimeMs: number;
  readonly policy: string;
  readonly registry: string;
  readonly registryAddress: string;
  readonly lbAddress: string;
  readonly respawn: boolean;
  readonly components: readonly ComponentRow[];
  /** The LB's xDS control plane: its plan and connected stock clients (or why it did not answer). */
  readonly xds: XdsStatusSummary;
}

export default class Status extends LbxCommand {
  static override summary = 'Show a cluster\'s components: pids, ports, state, health, uptime and metrics addresses.';

  static override description = 'Health is probed live: grpc.health.v1 for the LB and backends, the registry\'s own API for the registry (Consul\'s status/leader, etcd\'s health). Exits 3 when the cluster is not running.';

  // `ps`, as in docker compose.
  static override aliases = ['ps'];

  static override examples = ['<%= config.bin %> status', '<%= config.bin %> ps', '<%= config.bin %> status --name lab2 --json'];

  static override flags = { name: clusterNameFlag };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const { probeHealth } = await import('../runtime/cluster/probe-health.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    let status;
    try {
      status = await control.status();
    } finally {
      control.close();
    }
    const registryOf = { kind: toRegistryKind(status.registryKind), cluster: status.name };
    const components: ComponentRow[] = await Promise.all(
      status.components.map(async (component) => {
        const record = { ...component, role: component.role as ComponentRow['role'], state: component.state as ComponentRow['state'] };
        const metricsAddress = metricsAddressOf(record.role, record.address);
        return {
          name: record.name,
          role: record.role,
          address: record.address,
          pid: record.pid,
          state: record.state,
          startedAtUnixMs: record.startedAtUnixMs,
          ...(record.exitReason ? { exitReason: record.exitReason } : {}),
          restarts: record.restarts,
          ...(metricsAddress ? { metricsAddress } : {}),
          health: record.state === 'removed' ? 'removed' : await probeHealth({ ...record, logPath: record.logPath }, registryOf),
        };
      }),
    );
    const { collectXdsStatus } = await import('../runtime/xds/collect-xds-status.js');
    const xds = await collectXdsStatus(status.lbAddress);
    const uptimeMs = Date.now() - status.startedAtUnixMs;
    if (!flags.json) {
      this.log(`cluster "${status.name}"  supervisor pid ${status.supervisorPid}  up ${formatDuration(uptimeMs)}  policy ${status.policy}  registry ${status.registryKind} at ${status.registryAddress}${status.respawn ? '  respawn on' : ''}`);
      this.log('');
      this.log(renderComponents(components, Date.now()));
      this.log('');
      this.log(renderXdsStatus(xds));
    }
    return {
      name: status.name,
      supervisorPid: status.supervisorPid,
      uptimeMs,
      policy: status.policy,
      registry: status.registryKind,
      registryAddress: status.registryAddress,
      lbAddress: status.lbAddress,
      respawn: status.respawn,
      components,
      xds,
    };
  }
}
