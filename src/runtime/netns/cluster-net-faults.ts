// `lbx fault --net-*` on a running cluster: the supervisor applies network faults (it made the namespaces and
// veths), through its token-guarded control API; a cluster started without --netns has none to apply.
import { LbxError } from '../../core/lbx-error.js';
import { NO_NET_FAULT, type NetFaultSpec } from '../../core/faults/net-fault.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ControlClient } from '../cluster/control-client.js';
import { netFaultStateFromWire, netFaultToWire, type BackendNetFault } from './net-fault-wire.js';

export type { BackendNetFault } from './net-fault-wire.js';

/** Whether the cluster runs its backends in network namespaces (`up --netns`). */
export const hasNetns = (cluster: Pick<ClusterFile, 'spec'>): boolean => cluster.spec.netns !== undefined;

/** A usage error naming --netns, for network fault flags on a cluster without it. */
export function requireNetns(cluster: Pick<ClusterFile, 'name' | 'spec'>, flags: readonly string[]): void {
  if (hasNetns(cluster)) return;
  const restart = cluster.name === 'default' ? 'lbx up --netns' : `lbx up --name ${cluster.name} --netns`;
  throw new LbxError('usage', `${flags.join(', ')}: cluster "${cluster.name}" runs without --netns, so its backends have no network of their own to fault`, [
    `start it with: ${restart}`,
  ]);
}

export class ClusterNetFaults {
  constructor(private readonly cluster: ClusterFile) {}

  set(port: number, fault: NetFaultSpec): Promise<BackendNetFault> {
    return this.withControl(async (control) => netFaultStateFromWire(await control.setNetFault(port, netFaultToWire(fault))));
  }

  /** Every backend's network fault, "none" included, by port. */
  list(): Promise<BackendNetFault[]> {
    return this.withControl(async (control) => (await control.listNetFaults()).map(netFaultStateFromWire));
  }

  /** Clears the network fault of every backend that has one; returns those cleared. */
  async clearAll(): Promise<BackendNetFault[]> {
    const faulted = (await this.list()).filter((fault) => fault.summary !== 'none');
    return Promise.all(faulted.map((fault) => this.set(fault.port, NO_NET_FAULT)));
  }

  private async withControl<T>(use: (control: ControlClient) => Promise<T>): Promise<T> {
    const control = new ControlClient(this.cluster);
    try {
      return await use(control);
    } finally {
      control.close();
    }
  }
}

/** The network faults in force, best effort (status and report never fail for them); empty for a cluster without --netns. */
export async function netFaultsInForce(cluster: ClusterFile): Promise<readonly BackendNetFault[]> {
  if (!hasNetns(cluster)) return [];
  try {
    return (await new ClusterNetFaults(cluster).list()).filter((fault) => fault.summary !== 'none');
  } catch {
    return [];
  }
}
