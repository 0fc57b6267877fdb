// What a supervisor of an `lbx up --netns` cluster needs: each backend's address in its namespace, its command run
// inside it (namespace made first), its network faults, and everything deleted at the end.
import type { NetFaultSpec } from '../../core/faults/net-fault.js';
import { backendNetwork, type BackendNetwork, type NetnsPlan } from '../../core/netns/netns-plan.js';
import { ensureBackendNetwork, inNamespace, sweepClusterNetwork } from './cluster-network.js';
import { NetFaultController, type NetFaultRecord } from './net-fault-controller.js';

export class ClusterNetns {
  readonly faults: NetFaultController;

  constructor(
    private readonly plan: NetnsPlan,
    private readonly basePort: number,
    onFaultExpired: (record: NetFaultRecord) => void,
  ) {
    this.faults = new NetFaultController(onFaultExpired);
  }

  /** Backends sit on base+1…: the index picks their /30. */
  networkOf(port: number): BackendNetwork {
    return backendNetwork(this.plan, port, port - this.basePort - 1);
  }

  /** The address the backend on `port` listens on and registers. */
  hostOf(port: number): string {
    return this.networkOf(port).nsAddress;
  }

  /** The backend's command, to run inside its namespace (made now when missing). */
  enter<T extends { readonly file: string; readonly args: readonly string[] }>(port: number, command: T): { file: string; args: string[] } {
    const network = ensureBackendNetwork(this.plan, port, port - this.basePort - 1);
    return inNamespace(network, command.file, command.args);
  }

  setFault(port: number, fault: NetFaultSpec): NetFaultRecord {
    return this.faults.set(port, this.networkOf(port), fault);
  }

  faultOf(port: number): NetFaultRecord {
    return this.faults.recordOf(port, this.networkOf(port));
  }

  /** Every namespace and veth of the cluster deleted (their faults with them); returns what could not be. */
  teardown(): string[] {
    this.faults.dispose();
    return sweepClusterNetwork(this.plan.tag);
  }
}
