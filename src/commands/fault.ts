import { Args } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { faultActionFromFlags, faultFlags, netFlagsGiven } from '../cli/fault-flags.js';
import type { BackendFault } from '../runtime/cluster/cluster-faults.js';
import type { BackendNetFault } from '../runtime/netns/net-fault-wire.js';

export interface FaultResult {
  readonly name: string;
  readonly faults: readonly BackendFault[];
  /** Network faults (`up --netns` clusters only): the ones changed, or every backend's with --list. */
  readonly netFaults?: readonly BackendNetFault[];
}

export default class Fault extends LbxCommand {
  static override summary = 'Inject a gray failure into one backend: latency, errors, hangs, a slowdown; list or clear them.';

  static override description = `The fault lives in the backend, so lbx's own clients, stock xDS clients and proxies all meet it. A new fault replaces the backend's previous one; each call draws its fate independently (hang, then error, then latency). Faults end with --clear, --clear-all, their --for duration, a restart of the backend, or lbx down.

With \`lbx up --netns\` (each backend in its own network namespace) the kernel can fault the network too: --net-delay, --net-jitter and --net-loss put tc netem on the backend's veth (traffic towards it; where the kernel has no netem, --net-loss is an nftables drop rule in the backend's namespace and delay is refused), --partition takes the namespace's end of the veth down. The supervisor applies them; they end the same ways, except a backend's restart (the link outlives the process).

Injected errors and hangs are not served: the backend's counts and report reconcile with what clients got back.`;

  static override examples = [
    '<%= config.bin %> fault 7002 --latency 200ms',
    '<%= config.bin %> fault 7002 --latency 50ms --latency-p99 400ms   # log-normal',
    '<%= config.bin %> fault 7003 --errors 5% --error-code unavailable --for 30s',
    '<%= config.bin %> fault 7004 --hang 1% --jitter 10ms --latency 20ms',
    '<%= config.bin %> fault 7001 --slowdown 4',
    '<%= config.bin %> fault --list',
    '<%= config.bin %> fault 7002 --clear',
    '<%= config.bin %> fault --clear-all',
    '<%= config.bin %> fault 7002 --net-delay 100ms --net-jitter 20ms --net-loss 5%   # tc netem (lbx up --netns)',
    '<%= config.bin %> fault 7003 --partition --for 10s   # its veth down: lease expiry, ejection',
  ];

  static override args = {
    port: Args.integer({ description: 'Port of the backend (as lbx up and lbx status show it).', required: false, min: 1, max: 65_535 }),
  };

  static override flags = { name: clusterNameFlag, ...faultFlags };

  async run(): Promise<FaultResult> {
    const { args, flags } = await this.parse(Fault);
    const action = faultActionFromFlags(args.port, flags);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ClusterFaults } = await import('../runtime/cluster/cluster-faults.js');
    const { ClusterNetFaults, hasNetns, requireNetns } = await import('../runtime/netns/cluster-net-faults.js');
    const { renderFaultChange, renderFaultList } = await import('../cli/render-fault.js');
    const { renderNetFaultChange, renderNetFaultList } = await import('../cli/render-net-fault.js');
    const cluster = await requireRunningCluster(flags.name);
    if (action.kind === 'set' && action.net !== undefined && !action.isClear) requireNetns(cluster, netFlagsGiven(flags));
    const faults = new ClusterFaults(cluster);
    const netFaults = hasNetns(cluster) ? new ClusterNetFaults(cluster) : undefined;
    const lines: string[] = [];
    let changed: BackendFault[] = [];
    let netChanged: BackendNetFault[] | undefined;
    if (action.kind === 'list') {
      // Side by side: a partitioned backend keeps its own list waiting up to the admin deadline.
      [changed, netChanged] = await Promise.all([faults.list(), netFaults?.list()]);
      lines.push(renderFaultList(changed), ...(netChanged === undefined ? [] : ['', renderNetFaultList(netChanged)]));
    } else if (action.kind === 'clear-all') {
      // The network first: a partitioned backend cannot hear that its own fault is cleared.
      netChanged = await netFaults?.clearAll();
      changed = await faults.clearAll();
      lines.push(`cleared the faults of ${changed.length} backends`, ...(netChanged === undefined ? [] : [`cleared the network faults of ${netChanged.length} backends`]));
    } else {
      // The network first: a partitioned backend cannot hear of its own fault until its link is back.
      if (action.net !== undefined && netFaults !== undefined) netChanged = [await netFaults.set(action.port, action.net)];
      if (action.fault !== undefined) changed = [await faults.set(action.port, action.fault)];
      lines.push(...changed.map(renderFaultChange), ...(netChanged ?? []).map(renderNetFaultChange));
    }
    if (!flags.json) this.log(lines.join('\n'));
    return { name: cluster.name, faults: changed, ...(netChanged === undefined ? {} : { netFaults: netChanged }) };
  }
}
