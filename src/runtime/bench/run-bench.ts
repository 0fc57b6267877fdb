// Runs the same workload under each policy on one cluster: switch the policy, send (same seed and keys), sample backend load.
import { computeImbalance } from '../../core/thresholds.js';
import type { PolicyConfig } from '../../core/policies/policy.js';
import { withIdleBackends, type RunSummary } from '../../core/stats/run-ledger.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ControlClient } from '../cluster/control-client.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import { markRunInProgress, RUN_SCHEMA_VERSION, saveRun } from '../cluster/run-store.js';
import { describeError } from '../process/wait-for.js';
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
  /** Where each policy's run is saved (source 'bench'), so `lbx report` reconciles the backends' counts with them. */
  readonly paths?: ClusterPaths;
  /** Aborted to wind down: the policy being measured ends its in-flight tasks, the rest are skipped. */
  readonly stop?: AbortSignal;
}

export type BenchEvent =
  | { readonly type: 'policy-start'; readonly policy: string; readonly index: number; readonly count: number }
  | { readonly type: 'progress'; readonly policy: string; readonly index: number; readonly count: number; readonly done: number; readonly total: number; readonly failed: number }
  | { readonly type: 'policy-done'; readonly policy: string; readonly index: number; readonly count: number; readonly summary: RunSummary }
  /** A policy's run could not be saved for `lbx report` (a full disk): its figures are in the result all the same. */
  | { readonly type: 'save-failed'; readonly policy: string; readonly error: string };

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { cluster, workload } = options;
  const startedAtUnixMs = Date.now();
  const control = new ControlClient(cluster);
  const results: BenchPolicyResult[] = [];
  const count = options.policies.length;
  const config = { ...cluster.spec.policyConfig, ...options.policyConfig };
  let backends = cluster.spec.backends;
  let interrupted = false;
  const unmark = options.paths ? await markRunInProgress(options.paths, 'bench') : async () => undefined;
  try {
    for (const [index, name] of options.policies.entries()) {
      if (options.stop?.aborted) {
        interrupted = true;
        break;
      }
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
        onProgress: (done, total, failed) => options.onEvent?.({ type: 'progress', policy, index, count, done, total, failed }),
        ...(options.stop ? { stop: options.stop } : {}),
      }).finally(async () => {
        loadSeries = await sampler.stop();
      });
      // Every ready backend is in the figures, also one the policy sent nothing to.
      const summary = withIdleBackends(sent.summary, addresses);
      interrupted ||= sent.interrupted === true;
      results.push({ policy, summary, imbalance: computeImbalance(summary), loadSeries, ...(sent.interrupted ? { interrupted: true } : {}) });
      options.onEvent?.({ type: 'policy-done', policy, index, count, summary });
      if (options.paths) {
        const run = {
          schemaVersion: RUN_SCHEMA_VERSION,
          ...sent,
          summary,
          mode: cluster.spec.mode ?? 'lookaside',
          source: 'bench',
          request: { simple: workload.simple, heavy: workload.heavy, concurrency: workload.concurrency, timeoutMs: workload.timeoutMs },
        } as const;
        await saveRun(options.paths, run).catch((error: unknown) => options.onEvent?.({ type: 'save-failed', policy, error: describeError(error) }));
      }
    }
  } finally {
    await unmark();
    control.close();
  }
  return benchResult(options, { backends, startedAtUnixMs, results, interrupted });
}

/** The bench's result document: the cluster and workload it ran, and each policy's figures. */
function benchResult(options: BenchOptions, run: { backends: number; startedAtUnixMs: number; results: BenchPolicyResult[]; interrupted: boolean }): BenchResult {
  const { cluster, workload } = options;
  const { backends, startedAtUnixMs, results, interrupted } = run;
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
    ...(interrupted ? { interrupted } : {}),
  };
}
