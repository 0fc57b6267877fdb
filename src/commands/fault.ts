import { Args } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { faultActionFromFlags, faultFlags } from '../cli/fault-flags.js';
import type { BackendFault } from '../runtime/cluster/cluster-faults.js';

export interface FaultResult {
  readonly name: string;
  readonly faults: readonly BackendFault[];
}

export default class Fault extends LbxCommand {
  static override summary = 'Inject a gray failure into one backend: latency, errors, hangs, a slowdown; list or clear them.';

  static override description = `The fault lives in the backend, so lbx's own clients, stock xDS clients and proxies all meet it. A new fault replaces the backend's previous one; each call draws its fate independently (hang, then error, then latency). Faults end with --clear, --clear-all, their --for duration, a restart of the backend, or lbx down.

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
    const { renderFaultChange, renderFaultList } = await import('../cli/render-fault.js');
    const cluster = await requireRunningCluster(flags.name);
    const faults = new ClusterFaults(cluster);
    const changed = action.kind === 'list' ? await faults.list() : action.kind === 'clear-all' ? await faults.clearAll() : [await faults.set(action.port, action.fault)];
    if (!flags.json)
      this.log(action.kind === 'set' ? renderFaultChange(changed[0]!) : action.kind === 'list' ? renderFaultList(changed) : `cleared the faults of ${changed.length} backends`);
    return { name: cluster.name, faults: changed };
  }
}
