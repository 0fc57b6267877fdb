// Runs the same workload under each policy on one cluster: switch the policy, send (same seed and keys), sample backend load.
import { computeImbalance } from '../../core/thresholds.js';
import type { PolicyConfig } from '../../core/policies/policy.js';
import { withIdleBackends, type RunSummary } from '../../core/stats/run-ledger.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ControlClient } from '../cluster/control-client.js';
import { runSend } from '../client/send-run.js';
import { BENCH_SCHEMA, type BenchPolicyResult, type BenchResult, type LoadSeries } from './bench-result.js';
import { DEFAULT_SAMPLE_INTERVAL_MS, startLoadSampler } from './load-sampler.js';

export interface BenchWorkload {
  readonly simple: number;
  readonly heavy: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly keys?: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** CPU_HEAVY size; 0 = the backends' default. */
  readonly workUnits: number;
}

export interface BenchOptions {
  readonly cluster: ClusterFile;
  /** Long policy names, run in this order. */
  readonly policies: readonly string[];
  /** Settings for policies that take them (the ring's), over the cluster's saved ones. */
  readonly policyConfig: PolicyConfig;
  readonly workload: BenchWorkload;
  readonly sampleIntervalMs?: number;
  readonly onEvent?: (event: BenchEvent) => void;
}

export type BenchEvent =
  | { readonly type: 'policy-start'; readonly policy: string; readonly index: number; readonly count: number }
  | { readonly type: 'progress'; readonly policy: string; readonly index: number; readonly count: number; readonly done: number; readonly total: number }
  | { readonly type: 'policy-done'; readonly policy: string; readonly index: number; readonly count: number; readonly summary: RunSummary };

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { cluster, workload } = options;
  const startedAtUnixMs = Date.now();
  const control = new ControlClient(cluster);
  const results: BenchPolicyResult[] = [];
  const count = options.policies.length;
  const config = { ...cluster.spec.policyConfig, ...options.policyConfig };
  let backends = cluster.spec.backends;
  try {
    for (const [index, name] of options.policies.entries()) {
      const switched = await control.setPolicy({
        policy: name,
        config: { ringSlots: config.ringSlots ?? 0, virtualNodes: config.virtualNodes ?? 0, ringHash: config.ringHash ?? '', hashBalance: config.hashBalance ?? 0 },
      });
      const policy = switched.policy;
      options.onEvent?.({ type: 'policy-start', policy, index, count });
      const status = await control.status();
      const addresses = status.components.filter((component) => component.role === 'backend' && component.state === 'ready').map((component) => component.address);
      // A running cluster may have been scaled since it started: count what serves now.
      backends = addresses.length;
      const sampler = startLoadSampler(addresses, options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
      let loadSeries: LoadSeries[] = [];
      const sent = await runSend({
        target: { kind: cluster.spec.mode === 'proxy' ? 'proxy' : 'lb', address: cluster.lbAddress },
        simple: workload.simple,
        heavy: workload.heavy,
        concurrency: workload.concurrency,
        timeoutMs: workload.timeoutMs,
        maxAttempts: workload.maxAttempts,
        workUnits: workload.workUnits,
        registry: { kind: cluster.spec.registry, address: cluster.registryAddress, cluster: cluster.name },
        seed: workload.seed,
        ...(workload.keys === undefined ? {} : { keys: workload.keys }),
        onProgress: (done, total) => options.onEvent?.({ type: 'progress', policy, index, count, done, total }),
      }).finally(async () => {
        loadSeries = await sampler.stop();
      });
      // Every ready backend is in the figures, also one the policy sent nothing to.
      const summary = withIdleBackends(sent.summary, addresses);
      results.push({ policy, summary, imbalance: computeImbalance(summary), loadSeries });
      options.onEvent?.({ type: 'policy-done', policy, index, count, summary });
    }
  } finally {
    control.close();
  }
  return {
    schema: BENCH_SCHEMA,
    cluster: {
      name: cluster.name,
      backends,
      mode: cluster.spec.mode ?? 'lookaside',
      registry: cluster.spec.registry,
      ...(cluster.spec.speeds ? { speeds: cluster.spec.speeds } : {}),
      ...(cluster.spec.weights ? { weights: cluster.spec.weights } : {}),
    },
    workload: {
      simple: workload.simple,
      heavy: workload.heavy,
      concurrency: workload.concurrency,
      seed: workload.seed,
      ...(workload.keys === undefined ? {} : { keys: workload.keys }),
    },
    startedAtUnixMs,
    policies: results,
  };
}
