// `lbx bench --proxy lbx,haproxy,nginx`: the same seeded workload through each data plane, each on a private cluster of its own with the same ports, backends and seed, one after the other.
import { isDataPlaneKind, PROXY_KINDS, type ProxyKind } from '../core/dataplane/data-plane-kind.js';
import { dataPlaneRefusal } from '../core/dataplane/policy-mapping.js';
import { LbxError } from '../core/lbx-error.js';
import type { PolicyConfig, PolicyFactory } from '../core/policies/policy.js';
import type { BenchCluster } from '../runtime/bench/bench-cluster.js';
import type { BenchClient, BenchResult, SkippedArm } from '../runtime/bench/bench-result.js';
import type { BenchEvent, BenchWorkload } from '../runtime/bench/run-bench.js';
import { planDataPlane } from './data-plane-flags.js';
import { readyBenchCluster } from './bench-cluster-start.js';
import type { ClusterFlagValues } from './cluster-flags.js';
import { startProgress } from './spinner.js';
import { showBenchProgress } from './task-progress.js';

/** One data plane's share of the bench: the policies it runs, and those it refuses (with why). */
export interface ProxyArmPlan {
  readonly proxy: ProxyKind;
  readonly policies: readonly PolicyFactory[];
  readonly skipped: readonly SkippedArm[];
}

/** "lbx,haproxy" → the data planes, in order, each once; an unknown one is a usage error naming it and the choices. */
export function parseProxyList(text: string): ProxyKind[] {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name.length > 0);
  const choices = PROXY_KINDS.join(', ');
  if (names.length === 0) throw new LbxError('usage', `--proxy "${text}": expected data planes (${choices}) separated by commas, e.g. lbx,haproxy,nginx`);
  const unknown = names.find((name) => !(PROXY_KINDS as readonly string[]).includes(name));
  if (unknown !== undefined)
    throw new LbxError('usage', `--proxy "${text}": unknown data plane "${unknown}"; expected one of: ${choices} (comma-separated, e.g. lbx,haproxy,nginx)`);
  return [...new Set(names as ProxyKind[])];
}

export interface ProxyBenchChecks {
  /** --mode as parsed, and whether it was given (--proxy implies proxy; an explicit lookaside contradicts it). */
  readonly mode: string;
  readonly isModeGiven: boolean;
  readonly clients: readonly BenchClient[];
  readonly hashBalance?: number;
  readonly find: (binary: string) => string | undefined;
}

/** Which policies each data plane runs; usage errors (before any cluster starts) for --mode lookaside, --client xds, a missing binary, or nothing to run. */
export function planProxyArms(proxies: readonly ProxyKind[], policies: readonly PolicyFactory[], checks: ProxyBenchChecks): ProxyArmPlan[] {
  if (checks.isModeGiven && checks.mode !== 'proxy') throw new LbxError('usage', `--proxy ${proxies.join(',')} benches proxy mode: drop --mode ${checks.mode} (or --proxy)`);
  const stock = checks.clients.find((client) => client !== 'lbx');
  if (stock !== undefined) throw new LbxError('usage', `--proxy and --client ${stock} cannot be combined: a stock ${stock} client balances by itself and calls no data plane`);
  const settings = checks.hashBalance === undefined ? {} : { hashBalance: checks.hashBalance };
  const plans = proxies.map((proxy): ProxyArmPlan => {
    if (!isDataPlaneKind(proxy)) return { proxy, policies, skipped: [] };
    const refusals = policies.map((policy) => dataPlaneRefusal(proxy, policy.name, settings));
    const runs = policies.filter((_, index) => refusals[index] === undefined);
    const skipped = policies.flatMap((policy, index) => (refusals[index] === undefined ? [] : [{ policy: policy.name, proxy, reason: refusals[index]! }]));
    // Names the Debian package when the binary is missing (as `up --proxy` does).
    if (runs.length > 0) planDataPlane(proxy, 'proxy', runs[0]!.name, checks.hashBalance, checks.find);
    return { proxy, policies: runs, skipped };
  });
  if (plans.every((plan) => plan.policies.length === 0)) {
    throw new LbxError(
      'usage',
      `no data plane runs any of --policies ${policies.map((policy) => policy.shortName).join(',')}: ${plans.flatMap((plan) => plan.skipped.map((skip) => skip.reason)).join('; ')}`,
    );
  }
  return plans;
}

export interface ProxyBenchRun {
  readonly plans: readonly ProxyArmPlan[];
  /** The policies asked for, in order: the result's rows follow it. */
  readonly policies: readonly PolicyFactory[];
  /** --name: a running cluster may be benched only on its own data plane; otherwise each data plane gets a private cluster by this name in turn. */
  readonly name: string | undefined;
  readonly flags: ClusterFlagValues;
  readonly policyConfig: PolicyConfig;
  readonly workload: BenchWorkload;
  readonly killDuring: boolean;
  readonly stop: AbortSignal;
  readonly quiet: boolean;
  readonly out: { logToStderr(line: string): void };
  /** Refuses flags that would shape a new cluster when --name is a running one (bench-flags' refuseShapingFlags). */
  readonly refuseShaping: (name: string) => void;
  /** Told of each cluster as it is acquired, so an abort stops the one running. */
  readonly onCluster: (bench: BenchCluster) => void;
}

/** Each data plane in turn: its cluster started (same flags, --mode proxy --proxy <it>), its policies run, its cluster stopped; the results in one document. */
export async function runProxyBench(run: ProxyBenchRun): Promise<BenchResult> {
  const { runBench } = await import('../runtime/bench/run-bench.js');
  const { acquireBenchCluster } = await import('../runtime/bench/bench-cluster.js');
  const measured: BenchResult[] = [];
  const total = run.plans.reduce((sum, plan) => sum + plan.policies.length, 0);
  for (const plan of run.plans.filter((entry) => entry.policies.length > 0)) {
    if (run.stop.aborted) break;
    const bench = await acquireBenchCluster(run.name);
    if (bench.isShared) {
      checkSharedDataPlane(bench, run.plans);
      run.refuseShaping(bench.name);
    }
    run.onCluster(bench);
    try {
      const flags = { ...run.flags, mode: 'proxy' as const, proxy: plan.proxy };
      const cluster = await readyBenchCluster(bench, plan.policies, run.policyConfig, flags, { quiet: run.quiet, note: (line) => run.out.logToStderr(line) });
      const offset = measured.reduce((sum, result) => sum + result.policies.length, 0);
      const progress = await startProgress(`bench --proxy ${plan.proxy} on cluster "${bench.name}": ${plan.policies.length} policies`, { quiet: run.quiet });
      const show = showBenchProgress(progress, run.out);
      // Progress counts over every data plane's arms and names the data plane: "[3/6] round_robin on haproxy".
      const onEvent = (event: BenchEvent): void =>
        show('index' in event ? { ...event, policy: `${event.policy} on ${plan.proxy}`, index: event.index + offset, count: total } : event);
      const policies = plan.policies.map((policy) => policy.name);
      const options = { cluster, policies, policyConfig: run.policyConfig, workload: run.workload, paths: bench.paths, stop: run.stop, onEvent, killDuring: run.killDuring };
      const result = await runBench(options).catch((error: unknown) => {
        progress.fail(`bench --proxy ${plan.proxy} failed`);
        throw error;
      });
      progress.succeed(`${plan.proxy}: ${result.policies.length} policies measured`);
      measured.push(result);
    } finally {
      await bench.release();
    }
  }
  return mergeProxyResults(
    run.plans,
    run.policies.map((policy) => policy.name),
    measured,
  );
}

/** A running cluster (--name) runs one data plane, chosen at `up`: only it can be benched there. */
function checkSharedDataPlane(bench: BenchCluster, plans: readonly ProxyArmPlan[]): void {
  const { spec } = bench.file();
  const runs: ProxyKind | undefined = spec.mode === 'proxy' ? (spec.dataPlane ?? 'lbx') : undefined;
  const asked = plans.map((plan) => plan.proxy);
  if (runs !== undefined && asked.length === 1 && asked[0] === runs) return;
  const has = runs === undefined ? 'is in look-aside mode (no data plane)' : `runs the ${runs} data plane`;
  throw new LbxError('usage', `cluster "${bench.name}" ${has}: --proxy ${asked.join(',')} cannot be benched on it`, [
    ...(runs === undefined ? [] : [`--proxy ${runs} benches it as it is`]),
    'leave out --name to bench each data plane on a private cluster of its own',
  ]);
}

/** One document: the first cluster's description, every arm grouped by policy (data planes in --proxy order), the refused arms. */
function mergeProxyResults(plans: readonly ProxyArmPlan[], policyOrder: readonly string[], measured: readonly BenchResult[]): BenchResult {
  const first = measured[0];
  if (first === undefined) throw new LbxError('runtime', 'bench --proxy measured nothing');
  const proxies = plans.map((plan) => plan.proxy);
  const rank = (entry: { policy: string; proxy?: ProxyKind }): number => policyOrder.indexOf(entry.policy) * proxies.length + proxies.indexOf(entry.proxy ?? 'lbx');
  const policies = measured.flatMap((result) => result.policies).sort((a, b) => rank(a) - rank(b));
  const skipped = plans.flatMap((plan) => plan.skipped).sort((a, b) => rank(a) - rank(b));
  const interrupted = measured.some((result) => result.interrupted === true) || measured.length < plans.filter((plan) => plan.policies.length > 0).length;
  const { interrupted: _firstInterrupted, ...described } = first;
  return {
    ...described,
    cluster: { ...first.cluster, backends: Math.max(...measured.map((result) => result.cluster.backends)) },
    policies,
    proxies,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(interrupted ? { interrupted } : {}),
  };
}
