// `lbx bench --scenario gray`: the flags checked for the scenario, its private cluster started and always stopped, the run with progress, and its ending (table, --json, --html, exit code).
import { writeFile } from 'node:fs/promises';

import { LbxError } from '../core/lbx-error.js';
import type { PolicyConfig, PolicyFactory } from '../core/policies/policy.js';
import { resolvePolicy } from '../core/policies/index.js';
import type { GrayResult } from '../runtime/bench/gray-scenario.js';
import { readyBenchCluster } from './bench-cluster-start.js';
import { type BENCH_SCENARIOS, isFlagGiven, parsePolicyList } from './bench-flags.js';
import type { ClusterFlagValues } from './cluster-flags.js';
import { guardRunInterrupts } from './run-interrupts.js';
import type { CommandOutput } from './send-outcome.js';
import { startProgress } from './spinner.js';
import { showBenchProgress } from './task-progress.js';
import { taskCounts } from './workload-flags.js';

export type BenchScenario = (typeof BENCH_SCENARIOS)[number];

/** The policies a gray scenario compares unless --policies says otherwise (the issue's five). */
export const GRAY_DEFAULT_POLICIES = 'rr,lc,p2c,ewma,pq';

/** Bench flags that mean nothing to the scenario (it runs lbx's own client on a private cluster of its own, and is judged by its targets). */
const REFUSED_WITH_SCENARIO: ReadonlyArray<{ readonly flag: string; readonly why: string }> = [
  { flag: 'name', why: 'it sets faults on the backends of a private cluster of its own' },
  { flag: 'proxy', why: 'it compares policies and defences, not data planes' },
  { flag: 'client', why: "its defences are lbx's client's (retries, a retry budget, hedging)" },
  { flag: 'kill-during', why: 'its faults are gray failures, not a crash' },
  { flag: 'keys', why: 'it sends the same keyless workload to every policy' },
  { flag: 'max-p99', why: 'its targets are fixed (p99 ≤ 1.5× the baseline, errors ≤ 0.1%)' },
  { flag: 'max-error-rate', why: 'its targets are fixed (p99 ≤ 1.5× the baseline, errors ≤ 0.1%)' },
  { flag: 'min-throughput', why: 'its targets are fixed (p99 ≤ 1.5× the baseline, errors ≤ 0.1%)' },
  { flag: 'max-imbalance', why: 'its targets are fixed (p99 ≤ 1.5× the baseline, errors ≤ 0.1%)' },
];

export interface ScenarioFlags extends ClusterFlagValues {
  readonly scenario: BenchScenario;
  readonly policies: string;
  readonly simple?: number;
  readonly heavy?: number;
  readonly concurrency: number;
  readonly 'work-units': number;
  readonly seed?: number;
  readonly html?: string;
  readonly json?: boolean;
}

type RawFlags = ReadonlyArray<{ readonly type: string; readonly flag?: string }>;

/** What the scenario will run, every flag checked before any cluster starts; a flag it cannot honour is a usage error naming it. */
export async function planGrayScenario(flags: ScenarioFlags, raw: RawFlags) {
  const refused = REFUSED_WITH_SCENARIO.find(({ flag }) => isFlagGiven(raw, flag));
  if (refused !== undefined) throw new LbxError('usage', `--${refused.flag} cannot be used with --scenario ${flags.scenario}: ${refused.why}`, [`drop --${refused.flag}`]);
  const { GRAY_BACKENDS, GRAY_DEFAULT_WORKLOAD, GRAY_SUCCESS_RATE_REQUEST_VOLUME } = await import('../runtime/bench/gray-scenario.js');
  if (isFlagGiven(raw, 'backends') && flags.backends !== GRAY_BACKENDS) {
    throw new LbxError('usage', `--backends ${flags.backends}: --scenario gray runs on ${GRAY_BACKENDS} backends (3 faulty, 3 healthy)`, ['leave --backends out']);
  }
  if (flags.html !== undefined && flags.html.trim() === '') throw new LbxError('usage', '--html "": expected the path of the HTML file to write');
  const policies = parsePolicyList(isFlagGiven(raw, 'policies') ? flags.policies : GRAY_DEFAULT_POLICIES);
  const given = flags.simple !== undefined || flags.heavy !== undefined;
  const counts = given ? taskCounts(flags) : { simple: GRAY_DEFAULT_WORKLOAD.simple, heavy: GRAY_DEFAULT_WORKLOAD.heavy };
  const workload = {
    ...counts,
    concurrency: isFlagGiven(raw, 'concurrency') ? flags.concurrency : GRAY_DEFAULT_WORKLOAD.concurrency,
    seed: flags.seed ?? GRAY_DEFAULT_WORKLOAD.seed,
    timeoutMs: GRAY_DEFAULT_WORKLOAD.timeoutMs,
    workUnits: flags['work-units'],
  };
  // Success-rate ejection judges the defended arms' backends at the scenario's call rate unless the flag says otherwise.
  const requestVolume = isFlagGiven(raw, 'success-rate-request-volume') ? {} : { 'success-rate-request-volume': GRAY_SUCCESS_RATE_REQUEST_VOLUME };
  return { policies, workload, clusterFlags: { ...flags, ...requestVolume, backends: GRAY_BACKENDS } };
}

/** Runs `bench --scenario gray` end to end on a private cluster, stopped at the end, also on failure or Ctrl-C. */
export async function runGrayBench(out: CommandOutput, flags: ScenarioFlags, raw: RawFlags, policyConfig: PolicyConfig): Promise<GrayResult> {
  const plan = await planGrayScenario(flags, raw);
  const quiet = flags.json ?? false;
  const { acquireBenchCluster } = await import('../runtime/bench/bench-cluster.js');
  const { runGrayScenario } = await import('../runtime/bench/gray-scenario.js');
  const bench = await acquireBenchCluster(undefined);
  const interrupts = guardRunInterrupts(out, { stopNote: `finishing the tasks in flight, then stopping cluster "${bench.name}"`, onAbort: () => bench.release() });
  try {
    // The baseline runs round robin first: the cluster starts on it.
    const startOn: PolicyFactory[] = [resolvePolicy('rr'), ...plan.policies];
    const cluster = await readyBenchCluster(bench, startOn, policyConfig, plan.clusterFlags, { quiet, note: (line) => out.logToStderr(line) });
    const arms = 1 + plan.policies.length * 2;
    const progress = await startProgress(`bench --scenario gray on cluster "${bench.name}": ${arms} arms (baseline, then ${plan.policies.length} policies × none, defended)`, {
      quiet,
    });
    const options = {
      cluster,
      paths: bench.paths,
      policies: plan.policies.map((policy) => policy.name),
      policyConfig,
      workload: plan.workload,
      stop: interrupts.signal,
      onEvent: showBenchProgress(progress, out),
    };
    const result = await runGrayScenario(options).catch((error: unknown) => {
      progress.fail('bench --scenario gray failed');
      throw error;
    });
    const lost = [result.baseline, ...result.rows].filter((row) => !row.reconciled).length;
    const line = `${arms} arms × ${plan.workload.simple + plan.workload.heavy} tasks, seed ${plan.workload.seed}${lost > 0 ? `, ${lost} arms NOT reconciled` : ''}`;
    if (result.interrupted) progress.fail(`bench --scenario gray interrupted: ${line}`);
    else progress.succeed(`bench --scenario gray done: ${line}`);
    await concludeGray(out, result, { quiet, html: flags.html });
    // A lost task (a row that does not reconcile) fails the run; failed tasks are the scenario's point, not a failure.
    if (lost > 0) process.exitCode = 1;
    if (interrupts.exitCode !== undefined) process.exitCode = interrupts.exitCode;
    return result;
  } finally {
    interrupts.dispose();
    await bench.release();
  }
}

async function concludeGray(out: CommandOutput, result: GrayResult, options: { quiet: boolean; html?: string }): Promise<void> {
  if (options.html !== undefined) {
    const { renderGrayHtml } = await import('./html/render-gray-html.js');
    await writeFile(options.html, renderGrayHtml(result));
  }
  if (!options.quiet) {
    const { renderGrayResult } = await import('./render-gray.js');
    out.log(renderGrayResult(result, options.html === undefined ? {} : { html: options.html }));
  }
}
