import { Flags, type Interfaces } from '@oclif/core';

import { LbxCommand } from '../../cli/lbx-command.js';
import { clusterDirFlag, hostFlag, registryAddressFlag } from '../../cli/flags.js';
import { logEvent, logLine, runForever } from '../../cli/role-log.js';
import { POLICY_CHOICES, resolvePolicy } from '../../core/policies/index.js';

export default class ServeLb extends LbxCommand {
  static override description = `Run the gRPC look-aside load balancer.

It registers as "lbx-lb" in the registry, learns backends by watching "lbx-backend" there (blocking queries) and from RegisterServer calls, and answers GetServer with the active policy.`;

  static override examples = ['<%= config.bin %> serve lb --port 7100 --registry-addr 127.0.0.1:7102 --policy ll'];

  static override flags = {
    host: hostFlag,
    port: Flags.integer({ description: 'gRPC port.', min: 1, max: 65_535, required: true }),
    policy: Flags.string({ description: 'Load-balancing policy.', options: [...POLICY_CHOICES], default: 'rr' }),
    'registry-addr': registryAddressFlag,
    id: Flags.string({ description: 'Instance id in the registry (default: lb-<port>).' }),
    'report-interval': Flags.integer({ description: 'Load report interval the backends are asked for (ms).', min: 50, max: 60_000, default: 500 }),
    'check-interval': Flags.integer({ description: 'Registry health-check interval (ms).', min: 100, max: 60_000, default: 1_000 }),
    'cluster-dir': clusterDirFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeLb);
    await ServeLb.serve(flags);
  }

  /** Runs the role with parsed flags; also the entry of the lean start path (src/cli/role-entry.ts). */
  static async serve(flags: Interfaces.InferredFlags<typeof ServeLb.flags>): Promise<void> {
    const policy = resolvePolicy(flags.policy);
    const { startLb } = await import('../../runtime/lb/lb-server.js');
    const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
    const lb = await startLb({
      host: flags.host,
      port: flags.port,
      id: flags.id ?? `lb-${flags.port}`,
      policy,
      registryAddress: flags['registry-addr'],
      reportIntervalMs: flags['report-interval'],
      checkIntervalMs: flags['check-interval'],
      onEvent: (event) => logEvent(event),
    });
    stopOnSignalOrOrphan(async (reason) => {
      logLine(`stopping (${reason})`);
      await lb.stop(reason === 'supervisor-gone' ? 0 : 1_000);
    });
    logLine(`load balancer ready on ${lb.address} (policy ${policy.name})`);
    announceReady(lb.address);
    await runForever();
  }
}
