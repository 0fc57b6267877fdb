// What `lbx status` shows: the supervisor's view of every component with its live health, the faults injected
// into backends (lbx fault), and the LB's xDS clients.
import { ControlClient } from './control-client.js';
import { requireRunningCluster } from './cluster-lookup.js';
import type { ComponentRecord } from './cluster-file.js';
import type { RegistryKind } from './cluster-spec.js';
import { metricsAddressOf } from './ports.js';
import { probeHealth } from './probe-health.js';
import { collectXdsStatus, type XdsStatusSummary } from '../xds/collect-xds-status.js';
import { faultsInForce, type BackendFault } from './cluster-faults.js';

export interface ComponentStatus extends Pick<ComponentRecord, 'name' | 'role' | 'address' | 'pid' | 'state' | 'startedAtUnixMs' | 'exitReason' | 'restarts'> {
  /** Probed now: grpc.health.v1 for the LB and backends, the registry's own API for the registry. */
  readonly health: string;
  /** host:port serving Prometheus metrics at /metrics (the LB and backends). */
  readonly metricsAddress?: string;
}

export interface StatusResult {
  readonly name: string;
  readonly supervisorPid: number;
  readonly uptimeMs: number;
  readonly policy: string;
  readonly registry: string;
  readonly registryAddress: string;
  readonly lbAddress: string;
  readonly respawn: boolean;
  readonly components: readonly ComponentStatus[];
  /** The LB's xDS control plane: its plan and connected stock clients (or why it did not answer). */
  readonly xds: XdsStatusSummary;
  /** Backends with an injected fault (lbx fault), or why they could not be asked. */
  readonly faults: readonly BackendFault[] | { readonly error: string };
}

/** The registry kind a supervisor reports; an older one that says nothing ran Consul's API. */
const toRegistryKind = (kind: string): RegistryKind => (kind === 'etcd' || kind === 'embedded' ? kind : 'consul');

export async function collectStatus(name: string): Promise<StatusResult> {
  const cluster = await requireRunningCluster(name);
  const control = new ControlClient(cluster);
  let status;
  try {
    status = await control.status();
  } finally {
    control.close();
  }
  const registryOf = { kind: toRegistryKind(status.registryKind), cluster: status.name };
  const components: ComponentStatus[] = await Promise.all(
    status.components.map(async (component) => {
      const record = { ...component, role: component.role as ComponentStatus['role'], state: component.state as ComponentStatus['state'] };
      const metricsAddress = metricsAddressOf(record.role, record.address, cluster.spec.basePort);
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
  return {
    name: status.name,
    supervisorPid: status.supervisorPid,
    uptimeMs: Date.now() - status.startedAtUnixMs,
    policy: status.policy,
    registry: status.registryKind,
    registryAddress: status.registryAddress,
    lbAddress: status.lbAddress,
    respawn: status.respawn,
    components,
    xds: await collectXdsStatus(status.lbAddress),
    faults: await faultsInForce(cluster).then((found) => ('error' in found ? found : found.faults)),
  };
}
