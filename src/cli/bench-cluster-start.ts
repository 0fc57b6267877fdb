// The cluster `lbx bench` measures: a private one started with `up`'s flags (or the running one --name gives), checked to fit every policy.
import { checkPolicyFits } from '../core/policies/policy-config.js';
import type { PolicyConfig, PolicyFactory } from '../core/policies/policy.js';
import type { BenchCluster } from '../runtime/bench/bench-cluster.js';
import type { ClusterFile } from '../runtime/cluster/cluster-file.js';
import { planCluster, startCluster, type ClusterFlagValues } from './cluster-flags.js';

/**
 * Starts the private cluster, on the first policy, once every policy fits the backends asked for; a shared one is
 * used as it is. Either way every policy must fit the backends serving now (a shared cluster may have been scaled).
 */
export async function readyBenchCluster(
  bench: BenchCluster,
  policies: readonly PolicyFactory[],
  policyConfig: PolicyConfig,
  flags: ClusterFlagValues,
  output: { quiet: boolean; note: (line: string) => void },
): Promise<ClusterFile> {
  const cluster = await bench.ensureStarted(async () => {
    for (const policy of policies) checkPolicyFits(policy, policyConfig, flags.backends);
    const { findExecutable } = await import('../runtime/registry/find-executable.js');
    return (await startCluster(planCluster(bench.name, policies[0]!, flags, findExecutable), output)).file;
  });
  const serving = cluster.components.filter((component) => component.role === 'backend' && component.state !== 'removed').length;
  for (const policy of policies) checkPolicyFits(policy, { ...cluster.spec.policyConfig, ...policyConfig }, serving);
  return cluster;
}
