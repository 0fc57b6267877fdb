// Runs the same workload under each policy on one cluster: switch the policy, send (same seed and keys) once per client arm, sample backend load.
import { loadavg } from 'node:os';

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
import { planBackendKill } from './backend-kill.js';
import { proxyProcessRoot, sampleProxyCpuMs } from './proxy-cpu.js';
import { cpuMsPer1000Calls } from '../../core/stats/proc-stat.js';
import type { Component } from '../wire/gen/lbx/v1/supervisor.js';
import { settleDataPlane } from './data-plane-settle.js';

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
  /** lbx's client only (the gray scenario's defences): retries in flight at most this share of tasks in flight, and a hedge after this long. */
  readonly retryBudget?: number;
  readonly hedgeDelayMs?: number;
  /** lbx's client only: send threads (send --workers), each with its own connections, so the LB hears several reporters. */
  readonly workers?: number;
}

export interface BenchOptions {
  readonly cluster: ClusterFile;
  /** Long policy names, run in this order. */
  readonly policies: readonly string[];
  /** Who balances each policy's tasks, in this order, one arm after the other for every policy (default: lbx alone). */
  readonly clients?: readonly BenchClient[];
  /** Settings for policies that take them (the ring's), over the cluster's saved ones. */
  readonly policyConfig: PolicyConfig;
  /** Switch the LB's outlier detection on or off with each policy (SetPolicy, live); absent = leave it as it is. */
  readonly outlierDetection?: boolean;
  readonly workload: BenchWorkload;
  readonly sampleIntervalMs?: number;
  readonly onEvent?: (event: BenchEvent) => void;
  /** Where each arm's run is saved (source 'bench'), so `lbx report` reconciles the backends' counts with them. */
  readonly paths?: ClusterPaths;
  /** Aborted to wind down: the arm being measured ends its in-flight tasks, the rest are skipped. */
  readonly stop?: AbortSignal;
  /** SIGKILL one backend (the last by port) when half of each arm's tasks have ended; it is started again after the arm. */
  readonly killDuring?: boolean;
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
  /** The cluster is fresh or its policy was just switched: a stock data plane needs time to follow. */
  readonly hasPlanChanged: boolean;
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
        ...(options.outlierDetection === undefined ? {} : { outlierDetection: options.outlierDetection }),
      });
      for (const [clientIndex, client] of clients.entries()) {
        // A policy switched to is measured (cut short if a stop came meanwhile); a stop skips the arms after that one.
        if (clientIndex > 0 && options.stop?.aborted) break;
        // HAProxy or NGINX follows a fresh cluster, a switch or a restarted backend by a reload: its old workers must not serve this arm.
        const hasPlanChanged = results.length === 0 || options.killDuring === true || (clientIndex === 0 && switched.previous !== switched.policy);
        const arm = { policy: switched.policy, client, index: policyIndex * clients.length + clientIndex, count, hasPlanChanged };
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
  await settleDataPlane(options.cluster, addresses, arm.hasPlanChanged);
  const probes = startArmProbes(options, control, status.components, addresses);
  const onProgress = (done: number, total: number, failed: number): void => {
    probes.kill?.onProgress(done, total);
    options.onEvent?.({ type: 'progress', policy, client, index, count, done, total, failed });
  };
  const sent = await sendArm(options, client, probes.target, onProgress).finally(() => probes.stopSampler());
  // Every ready backend is in the figures, also one the policy sent nothing to.
  const summary = withIdleBackends(sent.summary, addresses);
  const result: BenchPolicyResult = {
    policy,
    client,
    summary,
    imbalance: computeImbalance(summary),
    loadSeries: probes.loadSeries(),
    ...(sent.interrupted ? { interrupted: true } : {}),
    ...(await probes.finish(summary.sent + summary.retried)),
  };
  options.onEvent?.({ type: 'policy-done', policy, client, index, count, summary });
  if (options.paths) await saveArmRun(options, { sent, summary, policy, client });
  // A running cluster may have been scaled since it started: count what serves now.
  return { result, backends: addresses.length };
}

/** Saves one arm's run for `lbx report` (source 'bench'); a failure to save is an event, not the bench's end. */
async function saveArmRun(options: BenchOptions, arm: { sent: SendResult; summary: RunSummary; policy: string; client: BenchClient }): Promise<void> {
  const { workload, cluster, paths } = options;
  const { sent, summary, policy, client } = arm;
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
  await saveRun(paths!, run).catch((error: unknown) => options.onEvent?.({ type: 'save-failed', policy, client, error: describeError(error) }));
}

/** What runs beside an arm's send: the load sampler, the proxy's CPU before and after, the load average before, the --kill-during kill. */
function startArmProbes(options: BenchOptions, control: ControlClient, components: readonly Component[], addresses: readonly string[]) {
  const { cluster } = options;
  const loadAverage1m = Math.round(loadavg()[0]! * 100) / 100;
  const kill = options.killDuring ? planBackendKill(control, addresses) : undefined;
  const proxyRoot = proxyProcessRoot(cluster.spec, components);
  const cpuBeforeMs = proxyRoot === undefined ? 0 : sampleProxyCpuMs(proxyRoot);
  const sampler = startLoadSampler(addresses, options.sampleIntervalMs ?? DEFAULT_SAMPLE_INTERVAL_MS);
  let loadSeries: LoadSeries[] = [];
  let cpuMs: number | undefined;
  // In proxy mode tasks go to the stock data plane when there is one, else to the LB.
  const dataPlane = components.find((component) => component.role === 'dataplane' && component.state === 'ready');
  return {
    kill,
    target: cluster.spec.dataPlane === undefined ? cluster.lbAddress : (dataPlane?.address ?? cluster.lbAddress),
    stopSampler: async (): Promise<void> => {
      if (proxyRoot !== undefined) cpuMs = sampleProxyCpuMs(proxyRoot) - cpuBeforeMs;
      loadSeries = await sampler.stop();
    },
    loadSeries: (): LoadSeries[] => loadSeries,
    /** The arm's extra fields, once its send has ended: the proxy and its CPU per 1,000 `calls`, the backend killed (started again). */
    finish: async (calls: number): Promise<Pick<BenchPolicyResult, 'proxy' | 'proxyCpuMsPer1000' | 'killedBackend' | 'loadAverage1m'>> => {
      const killedBackend = await kill?.finish();
      return {
        loadAverage1m,
        ...(cluster.spec.mode === 'proxy' ? { proxy: cluster.spec.dataPlane ?? 'lbx' } : {}),
        ...(cpuMs === undefined ? {} : { proxyCpuMsPer1000: cpuMsPer1000Calls(cpuMs, calls) }),
        ...(killedBackend === undefined ? {} : { killedBackend }),
      };
    },
  };
}

/** The workload sent once by the arm's client: lbx's look-aside picks (or its proxy), or a stock xDS client on the LB's xDS port. */
function sendArm(options: BenchOptions, client: BenchClient, address: string, onProgress: (done: number, total: number, failed: number) => void): Promise<SendResult> {
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
    ...(workload.retryBudget === undefined ? {} : { retryBudget: workload.retryBudget }),
    ...(workload.hedgeDelayMs === undefined ? {} : { hedgeDelayMs: workload.hedgeDelayMs }),
    ...(workload.workers === undefined ? {} : { workers: workload.workers }),
    target: { kind: cluster.spec.mode === 'proxy' ? 'proxy' : 'lb', address },
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
