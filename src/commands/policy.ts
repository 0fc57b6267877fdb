import { Args } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { checkPolicySettingsApply, policyConfigFlags, policyConfigFromFlags } from '../cli/policy-flags.js';
import { POLICIES, resolvePolicy } from '../core/policies/index.js';
import { checkPolicyFits } from '../core/policies/policy-config.js';

export interface PolicyResult {
  readonly name: string;
  readonly previous: string;
  readonly policy: string;
}

export default class Policy extends LbxCommand {
  static override summary = "Switch the running LB's policy without a restart, or show the current one.";

  static override description = `Later picks use the new policy; requests already assigned are unaffected. \`lbx report\` shows each backend's assignments by the policy that made them.

Policies: ${POLICIES.map((policy) => `${policy.shortName} (${policy.name})`).join(', ')}.`;

  static override examples = ['<%= config.bin %> policy', '<%= config.bin %> policy ll', '<%= config.bin %> policy consistent_hash --hash-balance 1.25'];

  static override args = { policy: Args.string({ description: 'Short or long policy name; omit to show the current one.' }) };

  static override flags = {
    name: clusterNameFlag,
    ...policyConfigFlags,
  };

  async run(): Promise<PolicyResult> {
    const { args, flags } = await this.parse(Policy);
    // Usage errors before the cluster is looked up: they hold whether or not it runs.
    if (args.policy !== undefined) checkPolicySettingsApply(resolvePolicy(args.policy).name, flags);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const cluster = await requireRunningCluster(flags.name);
    const control = new ControlClient(cluster);
    try {
      if (args.policy === undefined) {
        const status = await control.status();
        if (!flags.json) this.log(`cluster "${status.name}" uses ${status.policy}`);
        return { name: status.name, previous: status.policy, policy: status.policy };
      }
      // Checked here first, so a typo is a usage error naming the choices and the LB is never asked.
      const policy = resolvePolicy(args.policy);
      const given = policyConfigFromFlags(flags);
      // Settings not given keep their saved values, so a switch away and back lands on the same ring.
      const config = { ...cluster.spec.policyConfig, ...given };
      checkPolicyFits(policy, config, cluster.components.filter((component) => component.role === 'backend' && component.state !== 'removed').length);
      const response = await control.setPolicy({
        policy: policy.name,
        config: { ringSlots: config.ringSlots ?? 0, virtualNodes: config.virtualNodes ?? 0, ringHash: config.ringHash ?? '', hashBalance: config.hashBalance ?? 0 },
      });
      if (!flags.json) this.log(`cluster "${cluster.name}": policy ${response.previous} → ${response.policy}`);
      return { name: cluster.name, previous: response.previous, policy: response.policy };
    } finally {
      control.close();
    }
  }
}
