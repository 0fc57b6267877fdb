// The gray-failure scenario (issue 15; `lbx bench --scenario gray`, `npm run bench -- gray`): on 6 backends, one
// answering 200 ms late, one failing 5 % of calls with UNAVAILABLE, one never answering 1 % of them, three healthy,
// the same seeded workload under each policy, without defences and with them (retries in a budget, hedging).
//
// First a baseline arm with no fault at all (round robin, no defences): the p99 every arm is compared with. Then the
// faults are set and each policy runs both arms, alternating, so a policy's two arms share the same minute of
// machine noise. Each arm is one runBench (its run saved for `lbx report`); after it, the cluster's report must
// reconcile (what clients got = what backends served). The faults are cleared at the end, also on failure.
// Outlier detection (the LB's ejection by consecutive failures, failure percentage and success rate) is a defence too:
// switched off for the baseline and the undefended arms and on for the defended ones, live with each arm's SetPolicy
// (no LB restart: a restart would cost seconds per arm and drop the LB's load view and connections).
// Every arm sends with GRAY_SEND_WORKERS worker threads (send --workers), each its own client connection: in look-aside
// mode the LB takes one connection's failure reports as hints (probe before ejecting; failure percentage and success
// rate need several reporters), so outlier detection could not act on a single sender's reports.
import { NO_FAULT, type FaultSpec } from '../../core/faults/fault.js';
import type { PolicyConfig } from '../../core/policies/policy.js';
import type { RunSummary } from '../../core/stats/run-ledger.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ClusterFaults } from '../cluster/cluster-faults.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import { collectReport } from '../cluster/collect-report.js';
import type { BenchPolicyResult } from './bench-result.js';
import { runBench, type BenchEvent, type BenchWorkload } from './run-bench.js';

export const GRAY_SCHEMA = 'lbx.bench.gray/v1';
/** The scenario's cluster: 3 faulty backends and 3 healthy ones. */
export const GRAY_BACKENDS = 6;
/** The targets for the best policy with its defences. */
export const GRAY_TARGETS = { maxP99OverBaseline: 1.5, maxErrorRate: 0.001 } as const;
/** The policy of the baseline arm: the plainest, with nothing to steer around (there is nothing to steer around). */
export const GRAY_BASELINE_POLICY = 'round_robin';

/** The default workload: 3,000 SIMPLE + 150 CPU_HEAVY, 16 in flight, seed 7, a 1 s deadline (a hang ends there). */
export const GRAY_DEFAULT_WORKLOAD = { simple: 3_000, heavy: 150, concurrency: 16, seed: 7, timeoutMs: 1_000 } as const;

/** The faults, by backend index in port order; the last three backends stay healthy. */
export const GRAY_FAULTS: ReadonlyArray<{ readonly index: number; readonly label: string; readonly fault: FaultSpec }> = [
  { index: 0, label: '+200 ms latency', fault: { ...NO_FAULT, latencyMs: 200 } },
  { index: 1, label: '5% UNAVAILABLE', fault: { ...NO_FAULT, errorRate: 0.05 } },
  { index: 2, label: '1% hang', fault: { ...NO_FAULT, hangRate: 0.01 } },
];

export type GrayDefences = 'none' | 'defended';
export const GRAY_DEFENCES: readonly GrayDefences[] = ['none', 'defended'];

/**
 * What each arm does about failures: none = one attempt, the LB's outlier detection off; defended = outlier detection
 * on, 2 retries within a 20 % retry budget, a hedge after 60 ms.
 */
export const GRAY_DEFENCE_SETTINGS: Record<
  GrayDefences,
  { readonly maxAttempts: number; readonly retryBudget?: number; readonly hedgeDelayMs?: number; readonly outlierDetection: boolean; readonly label: string }
> = {
  none: { maxAttempts: 1, outlierDetection: false, label: 'no outlier detection, no retries, no hedging' },
  defended: { maxAttempts: 3, retryBudget: 0.2, hedgeDelayMs: 60, outlierDetection: true, label: 'outlier detection, 2 retries within a 20% retry budget, a hedge after 60 ms' },
};

/**
 * Send threads in every arm (capped by the concurrency). The defended arms need more than one so the LB trusts the
 * failure reports (see the top); the undefended arms and the baseline use as many, because on a 2-core machine a
 * second send thread changes the client's CPU cost and so the latencies: the arms must differ only in their defences.
 */
export const GRAY_SEND_WORKERS = 2;

/**
 * Success-rate ejection's request volume on the scenario's cluster (A50's default is 100 calls a backend in a 1 s
 * interval). The scenario's 16 tasks in flight over 6 backends make ≈ 30–130 calls a backend a second, so at 100 no
 * interval is judged and the defended arms' outlier detection never acts; the failure-percentage detector (50 %) and 5
 * failures in a row do not fit a 5 % or 1 % fault either. At 20 (the failure-percentage detector's own minimum) the
 * 5 %-UNAVAILABLE and hanging backends stand out from healthy peers that fail nothing. `bench --success-rate-request-volume` overrides it.
 */
export const GRAY_SUCCESS_RATE_REQUEST_VOLUME = 20;

/** One arm: the baseline (no faults) or a policy without or with defences. */
export interface GrayRow {
  /** The policy's long name (round_robin, prequal, …). */
  readonly policy: string;
  readonly defences: 'baseline' | GrayDefences;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  /** ok tasks per second of the arm. */
  readonly goodputPerSec: number;
  /** failed ÷ sent, 0–1. */
  readonly errorRate: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly p999: number };
  /** This arm's p99 ÷ the baseline arm's p99. */
  readonly p99OverBaseline: number;
  /** The p99 of the tasks the healthy backends answered in this arm (the worst of the three). */
  readonly healthyBackendsP99Ms: number;
  readonly retried: number;
  readonly hedged: number;
  /** Whether the LB's outlier detection was on during the arm (on only in defended arms). */
  readonly outlierDetection: boolean;
  /** Outlier ejections the LB made during the arm (any evidence; `lbx logs lb` names each one's). */
  readonly ejections: number;
  /** Every task planned ended once (ok or failed) and the cluster's report reconciled after the arm. */
  readonly reconciled: boolean;
  /** The machine's 1-minute load average just before the arm. */
  readonly loadAverage1m: number;
  readonly interrupted?: boolean;
}

export interface GrayResult {
  readonly schema: typeof GRAY_SCHEMA;
  readonly scenario: 'gray';
  readonly cluster: { readonly name: string; readonly backends: number; readonly mode: string; readonly registry: string };
  readonly workload: {
    readonly simple: number;
    readonly heavy: number;
    readonly concurrency: number;
    readonly seed: number;
    readonly timeoutMs: number;
    /** Send threads in every arm (send --workers). */
    readonly workers: number;
  };
  readonly faults: ReadonlyArray<{ readonly address: string; readonly fault: string }>;
  readonly healthy: readonly string[];
  readonly defences: Readonly<Record<GrayDefences, string>>;
  readonly startedAtUnixMs: number;
  readonly baseline: GrayRow;
  /** Policy by policy in the order asked, none then defended. */
  readonly rows: readonly GrayRow[];
  /** The defended row with the lowest p99 (fewer errors on a tie), and whether it meets the targets. */
  readonly best?: { readonly policy: string; readonly p99OverBaseline: number; readonly errorRate: number; readonly meetsTargets: boolean };
  readonly targets: typeof GRAY_TARGETS;
  readonly interrupted?: boolean;
}

export interface GrayOptions {
  readonly cluster: ClusterFile;
  readonly paths: ClusterPaths;
  /** Long policy names, run in this order. */
  readonly policies: readonly string[];
  readonly policyConfig: PolicyConfig;
  /** maxAttempts is set per arm by its defences. */
  readonly workload: Omit<BenchWorkload, 'maxAttempts'>;
  readonly stop?: AbortSignal;
  /** runBench's events, renamed per arm ("prequal defended") and numbered over every arm. */
  readonly onEvent?: (event: BenchEvent) => void;
}

/** The arms in order: the baseline, then each policy without and with defences. */
export function planGrayArms(policies: readonly string[]): Array<{ readonly policy: string; readonly defences: GrayRow['defences'] }> {
  return [{ policy: GRAY_BASELINE_POLICY, defences: 'baseline' }, ...policies.flatMap((policy) => GRAY_DEFENCES.map((defences) => ({ policy, defences })))];
}

/** Runs the scenario on `cluster` (GRAY_BACKENDS ready backends, no faults): the baseline, the faults, every arm; the faults cleared after. */
export async function runGrayScenario(options: GrayOptions): Promise<GrayResult> {
  const startedAtUnixMs = Date.now();
  const faults = new ClusterFaults(options.cluster);
  const backends = (await faults.list()).map((backend) => backend.address);
  if (backends.length !== GRAY_BACKENDS) throw new Error(`the gray scenario needs ${GRAY_BACKENDS} ready backends; cluster "${options.cluster.name}" has ${backends.length}`);
  const arms = planGrayArms(options.policies);
  const rows: Array<GrayRow & { readonly summary: RunSummary }> = [];
  const healthy = backends.filter((_, index) => !GRAY_FAULTS.some((fault) => fault.index === index));
  let ejectionsSoFar = 0;
  try {
    // A fresh cluster's first calls pay for connections and JIT: a short warm-up (saved, so report still reconciles) keeps that out of the baseline.
    await measureGrayArm(options, { policy: GRAY_BASELINE_POLICY, defences: 'baseline' }, { index: -1, count: arms.length, label: 'warm-up', share: WARM_UP_SHARE });
    for (const [index, arm] of arms.entries()) {
      if (options.stop?.aborted) break;
      if (index === 1) for (const { index: at, fault } of GRAY_FAULTS) await faults.set(portOf(backends[at]!), fault);
      const measured = await measureGrayArm(options, arm, { index, count: arms.length });
      const { reconciled, ejections } = await reconciles(options, measured);
      rows.push(grayRow(arm, measured, { healthy, reconciled, ejections: ejections - ejectionsSoFar, baselineP99: rows[0]?.latencyMs.p99 }));
      ejectionsSoFar = ejections;
    }
  } finally {
    await faults.clearAll().catch(() => undefined);
  }
  return grayResult(options, { startedAtUnixMs, backends, healthy, rows });
}

/** One arm through runBench: the policy switched to, the workload sent with the arm's defences, the run saved. */
async function measureGrayArm(
  options: GrayOptions,
  arm: { policy: string; defences: GrayRow['defences'] },
  at: { index: number; count: number; label?: string; share?: number },
): Promise<BenchPolicyResult> {
  const { maxAttempts, retryBudget, hedgeDelayMs, outlierDetection } = GRAY_DEFENCE_SETTINGS[arm.defences === 'defended' ? 'defended' : 'none'];
  const scaled = at.share === undefined ? {} : scaleTasks(options.workload, at.share);
  const workload: BenchWorkload = {
    ...options.workload,
    ...scaled,
    maxAttempts,
    workers: grayWorkers(options.workload.concurrency),
    ...(retryBudget === undefined ? {} : { retryBudget }),
    ...(hedgeDelayMs === undefined ? {} : { hedgeDelayMs }),
  };
  const label = at.label ?? `${arm.policy} ${arm.defences}`;
  // The warm-up (index −1) is shown as arm 0 of the count.
  const onEvent = (event: BenchEvent): void => options.onEvent?.({ ...event, policy: label, index: Math.max(-1, at.index), count: at.count } as BenchEvent);
  const result = await runBench({
    cluster: options.cluster,
    policies: [arm.policy],
    policyConfig: options.policyConfig,
    outlierDetection,
    workload,
    paths: options.paths,
    onEvent,
    ...(options.stop ? { stop: options.stop } : {}),
  });
  const measured = result.policies[0];
  if (measured === undefined) throw new Error(`the gray scenario's ${label} arm measured nothing`);
  return measured;
}

/** Every planned task ended once, and what clients got matches what the backends say they served; the LB's ejections so far. */
async function reconciles(options: GrayOptions, measured: BenchPolicyResult): Promise<{ reconciled: boolean; ejections: number }> {
  const planned = options.workload.simple + options.workload.heavy;
  const { summary } = measured;
  const endedOnce = summary.sent === summary.ok + summary.failed && (summary.sent === planned || measured.interrupted === true);
  const report = await collectReport(options.cluster, options.paths);
  const ejections = report.backends.reduce((sum, backend) => sum + backend.ejections, 0);
  return { reconciled: endedOnce && report.reconciliation.matches, ejections };
}

function grayRow(
  arm: { policy: string; defences: GrayRow['defences'] },
  measured: BenchPolicyResult,
  context: { healthy: readonly string[]; reconciled: boolean; ejections: number; baselineP99: number | undefined },
): GrayRow & { readonly summary: RunSummary } {
  const { summary } = measured;
  const { p50, p99 } = summary.latencyMs;
  const baselineP99 = context.baselineP99 ?? p99;
  return {
    policy: measured.policy || arm.policy,
    defences: arm.defences,
    sent: summary.sent,
    ok: summary.ok,
    failed: summary.failed,
    goodputPerSec: summary.elapsedMs > 0 ? round2((summary.ok * 1_000) / summary.elapsedMs) : 0,
    errorRate: summary.sent === 0 ? 0 : summary.failed / summary.sent,
    latencyMs: { p50, p99, p999: summary.latencyMs.p999 ?? summary.latencyMs.max },
    p99OverBaseline: baselineP99 > 0 ? round2(p99 / baselineP99) : 0,
    healthyBackendsP99Ms: Math.max(0, ...summary.backends.filter((backend) => context.healthy.includes(backend.address)).map((backend) => backend.latencyMs.p99)),
    retried: summary.retried,
    hedged: summary.hedged ?? 0,
    outlierDetection: GRAY_DEFENCE_SETTINGS[arm.defences === 'defended' ? 'defended' : 'none'].outlierDetection,
    ejections: Math.max(0, context.ejections),
    reconciled: context.reconciled,
    loadAverage1m: measured.loadAverage1m ?? 0,
    ...(measured.interrupted ? { interrupted: true } : {}),
    summary,
  };
}

/** The defended row with the lowest p99, fewer errors first on a tie. */
export function bestDefended(rows: readonly GrayRow[]): GrayResult['best'] {
  const defended = rows.filter((row) => row.defences === 'defended' && row.sent > 0);
  const best = [...defended].sort((a, b) => a.latencyMs.p99 - b.latencyMs.p99 || a.errorRate - b.errorRate)[0];
  if (best === undefined) return undefined;
  const meetsTargets = best.p99OverBaseline <= GRAY_TARGETS.maxP99OverBaseline && best.errorRate <= GRAY_TARGETS.maxErrorRate;
  return { policy: best.policy, p99OverBaseline: best.p99OverBaseline, errorRate: best.errorRate, meetsTargets };
}

function grayResult(
  options: GrayOptions,
  run: { startedAtUnixMs: number; backends: readonly string[]; healthy: readonly string[]; rows: ReadonlyArray<GrayRow & { summary: RunSummary }> },
): GrayResult {
  const { cluster, workload } = options;
  const [baselineRow, ...armRows] = run.rows.map(({ summary: _summary, ...row }) => row);
  const best = bestDefended(armRows);
  const interrupted = options.stop?.aborted === true || run.rows.some((row) => row.interrupted === true);
  return {
    schema: GRAY_SCHEMA,
    scenario: 'gray',
    cluster: { name: cluster.name, backends: run.backends.length, mode: cluster.spec.mode ?? 'lookaside', registry: cluster.spec.registry },
    workload: {
      simple: workload.simple,
      heavy: workload.heavy,
      concurrency: workload.concurrency,
      seed: workload.seed,
      timeoutMs: workload.timeoutMs,
      workers: grayWorkers(workload.concurrency),
    },
    faults: GRAY_FAULTS.map(({ index, label }) => ({ address: run.backends[index]!, fault: label })),
    healthy: run.healthy,
    defences: { none: GRAY_DEFENCE_SETTINGS.none.label, defended: GRAY_DEFENCE_SETTINGS.defended.label },
    startedAtUnixMs: run.startedAtUnixMs,
    baseline: baselineRow ?? emptyBaseline(),
    rows: armRows,
    ...(best ? { best } : {}),
    targets: GRAY_TARGETS,
    ...(interrupted ? { interrupted } : {}),
  };
}

/** Interrupted before the baseline ended: a row of zeros keeps the document's shape. */
function emptyBaseline(): GrayRow {
  const latencyMs = { p50: 0, p99: 0, p999: 0 };
  return {
    policy: GRAY_BASELINE_POLICY,
    defences: 'baseline',
    sent: 0,
    ok: 0,
    failed: 0,
    goodputPerSec: 0,
    errorRate: 0,
    latencyMs,
    p99OverBaseline: 0,
    healthyBackendsP99Ms: 0,
    retried: 0,
    hedged: 0,
    outlierDetection: false,
    ejections: 0,
    reconciled: true,
    loadAverage1m: 0,
  };
}

/** The warm-up sends this share of the workload's tasks (at least one). */
const WARM_UP_SHARE = 0.1;

function scaleTasks(workload: { simple: number; heavy: number }, share: number): { simple: number; heavy: number } {
  const simple = Math.round(workload.simple * share);
  const heavy = Math.round(workload.heavy * share);
  return simple + heavy > 0 ? { simple, heavy } : { simple: 1, heavy: 0 };
}

/** send --workers allows at most one worker per task in flight. */
const grayWorkers = (concurrency: number): number => Math.max(1, Math.min(GRAY_SEND_WORKERS, concurrency));
const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));
const round2 = (value: number): number => Math.round(value * 100) / 100;
