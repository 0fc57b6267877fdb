// Runs the same workload under each policy on one cluster: switch the policy, send (same seed and keys) once per client arm, sample backend load.
import { computeImbalance } from '../../core/thresholds.js';
import type { PolicyConfig } from '../../core/policies/policy.js';
import { withIdleBackends, type RunSummary } from '../../core/stats/run-ledger.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ControlClient } from '../cluster/control-client.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import { markRunInProgress, RUN_SCHEMA_VERSION, saveRun } from '../cluster/run-store.js';
import { describeError } from '../process/wait-for.js';
import { runSend, type SendResult } from '../client/send-run.js';
import { xdsAddressOf } from '../cluster/ports.js';
import { BENCH_SCHEMA, type BenchClient, type BenchPolicyResult, type BenchResult, type LoadSeries } from './bench-result.js';
import { DEFAULT_SAMPLE_INTERVAL_MS, startLoadSampler } from './load-sampler.js';
import { runXdsArm } from './xds-arm.js';

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
  /** Who balances each policy's tasks, in this order, one arm after the other for every policy (default: lbx alone). */
  readonly clients?: readonly BenchClient[];
  /** Settings for policies that take them (the ring's), over the cluster's saved ones. */
  readonly policyConfig: PolicyConfig;
  readonly workload: BenchWorkload;
  readonly sampleIntervalMs?: number;
  readonly onEvent?: (event: BenchEvent) => void;
  /** Where each arm's run is saved (source 'bench'), so `lbx report` reconciles the backends' counts with them. */
  readonly paths?: ClusterPaths;
  /** Aborted to wind down: the arm being measured ends its in-flight tasks, the rest are skipped. */
  readonly stop?: AbortSignal;
}

/** Events name the policy and the client of the arm they are about; index and count go over arms (policies × clients). */
export type BenchEvent =
  | { readonly type: 'policy-start'; readonly policy: string; readonly client: BenchClient; readonly index: number; readonly count: number }
  | {
      readonly type: 'progress';
      readonly policy: string;
      readonly client: BenchClient;
      readonly index: number;
      readonly count: number;
      readonly done: number;
      readonly total: number;
      readonly failed: number;
    }
  | { readonly type: 'policy-done'; readonly policy: string; readonly client: BenchClient; readonly index: number; readonly count: number; readonly summary: RunSummary }
  /** An arm's run could not be saved for `lbx report` (a full disk): its figures are in the result all the same. */
  | { readonly type: 'save-failed'; readonly policy: string; readonly client: BenchClient; readonly error: string };

/** One arm to measure: the policy the LB is on now, the client, and where it stands among all arms. */
interface Arm {
  readonly policy: string;
  readonly client: BenchClient;
  readonly index: number;
  readonly count: number;
}

/**
 * For each policy: switch the LB to it, then run every client's arm on it in turn (A then B for each policy, not all
 * of A then all of B), so the arms of a policy share the same minute of machine noise.
 */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const { cluster } = options;
  const startedAtUnixMs = Date.now();
  const control = new ControlClient(cluster);
  const clients = options.clients ?? DEFAULT_CLIENTS;
  const results: BenchPolicyResult[] = [];
  const count = options.policies.length * clients.length;
  const config = { ...cluster.spec.policyConfig, ...options.policyConfig };
  let backends = cluster.spec.backends;
  let interrupted = false;
  const unmark = options.paths ? await markRunInProgress(options.paths, 'bench') : async () => undefined;
  try {
    for (const [policyIndex, name] of options.policies.entries()) {
      if (options.stop?.aborted) break;
      const switched = await control.setPolicy({
        policy: name,
        config: { ringSlots: config.ringSlots ?? 0, virtualNodes: config.virtualNodes ?? 0, ringHash: config.ringHash ?? '', hashBalance: config.hashBalance ?? 0 },
      });
      for (const [clientIndex, client] of clients.entries()) {
        // A policy switched to is measured (cut short if a stop came meanwhile); a stop skips the arms after that one.
        if (clientIndex > 0 && options.stop?.aborted) break;
        const arm = { policy: switched.policy, client, index: policyIndex * clients.length + clientIndex, count };
        const measured = await measureArm(options, control, arm);
        backends = measured.backends;
        results.push(measured.result);
        interrupted ||= measured.result.interrupted === true;
      }
    }
    interrupted ||= options.stop?.aborted === true && results.length < count;
  } finally {
    await unmark();
    control.close();
  }
  return benchResult(options, { backends, startedAtUnixMs, results, interrupted });
}

const DEFAULT_CLIENTS: readonly BenchClient[] = ['lbx'];

/** One arm: the backends serving now, their load sampled while the client sends the workload, the run saved for `lbx report`. */
async function measureArm(options: BenchOptions, control: ControlClient, arm: Arm): Promise<{ result: BenchPolicyResult; backends: number }> {
  const { policy, client, index, count } = arm;
  options.onEvent?.({ type: 'policy-start', policy, client, index, count });
  const status = await control.status();
  const addresses = status.components.filter((component) => component.role === 'backend' && component.state === 'ready').map((component) => component.address);
  const sampler = startLoadSampler(addresses, options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
  let loadSeries: LoadSeries[] = [];
  const onProgress = (done: number, total: number, failed: number): void => options.onEvent?.({ type: 'progress', policy, client, index, count, done, total, failed });
  const sent = await sendArm(options, client, onProgress).finally(async () => {
    loadSeries = await sampler.stop();
  });
  // Every ready backend is in the figures, also one the policy sent nothing to.
  const summary = withIdleBackends(sent.summary, addresses);
  const result: BenchPolicyResult = { policy, client, summary, imbalance: computeImbalance(summary), loadSeries, ...(sent.interrupted ? { interrupted: true } : {}) };
  options.onEvent?.({ type: 'policy-done', policy, client, index, count, summary });
  if (options.paths) {
    const { workload, cluster } = options;
    const run = {
      schemaVersion: RUN_SCHEMA_VERSION,
      ...sent,
      // A stock client never sees a pick, so it cannot say the policy: the one the LB was switched to.
      policy: sent.policy || policy,
      summary,
      mode: cluster.spec.mode ?? 'lookaside',
      source: 'bench',
      request: { simple: workload.simple, heavy: workload.heavy, concurrency: workload.concurrency, timeoutMs: workload.timeoutMs },
    } as const;
    await saveRun(options.paths, run).catch((error: unknown) => options.onEvent?.({ type: 'save-failed', policy, client, error: describeError(error) }));
  }
  // A running cluster may have been scaled since it started: count what serves now.
  return { result, backends: addresses.length };
}

/** The workload sent once by the arm's client: lbx's look-aside picks (or its proxy), or a stock xDS client on the LB's xDS port. */
function sendArm(options: BenchOptions, client: BenchClient, onProgress: (done: number, total: number, failed: number) => void): Promise<SendResult> {
  const { cluster, workload } = options;
  const common = {
    simple: workload.simple,
    heavy: workload.heavy,
    concurrency: workload.concurrency,
    timeoutMs: workload.timeoutMs,
    maxAttempts: workload.maxAttempts,
    workUnits: workload.workUnits,
    seed: workload.seed,
    ...(workload.keys === undefined ? {} : { keys: workload.keys }),
    onProgress,
    ...(options.stop ? { stop: options.stop } : {}),
  };
  if (client === 'xds') return runXdsArm({ ...common, xdsAddress: xdsAddressOf(cluster.lbAddress) });
  return runSend({
    ...common,
    target: { kind: cluster.spec.mode === 'proxy' ? 'proxy' : 'lb', address: cluster.lbAddress },
    registry: { kind: cluster.spec.registry, address: cluster.registryAddress, cluster: cluster.name },
  });
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
