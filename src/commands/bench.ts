import { writeFile } from 'node:fs/promises';

import { Flags } from '@oclif/core';

import { shouldColor } from '../cli/bars.js';
import { clusterFlags, planCluster, startCluster } from '../cli/cluster-flags.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { policyConfigFromFlags } from '../cli/policy-flags.js';
import { renderBenchResult } from '../cli/render-bench.js';
import { startProgress } from '../cli/spinner.js';
import { trackTaskProgress } from '../cli/task-progress.js';
import { thresholdFlags, thresholdsFromFlags } from '../cli/threshold-flags.js';
import { concludeRun, randomSeed, taskCounts, workloadFlags } from '../cli/workload-flags.js';
import { LbxError } from '../core/lbx-error.js';
import { POLICIES, resolvePolicy } from '../core/policies/index.js';
import { checkPolicyFits } from '../core/policies/policy-config.js';
import type { PolicyFactory } from '../core/policies/policy.js';
import type { BenchResult } from '../runtime/bench/bench-result.js';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';

const DEFAULT_POLICIES = 'rr,pf,ll,lc,p2c,ewma,ch';
/** Flags that shape a new cluster; with --name of a running one they would be silently ignored, so they are refused. */
const CLUSTER_SHAPE_FLAGS = ['backends', 'registry', 'base-port', 'host', 'heavy-work-units', 'report-interval', 'mode', 'weights', 'speeds', 'respawn'];

export default class Bench extends LbxCommand {
  static override summary = 'Compare policies: the same workload under each, on one cluster, in one table.';

  static override description = `Starts a private cluster (same flags as \`up\`; named bench-<pid>, stopped at the end, also on failure or Ctrl-C),
or with --name uses that running cluster and leaves it running (its policy is left at the last one benched).
For each policy: switch the LB to it, send the same tasks (same --seed, same --keys), and sample every backend's load
every 250 ms. Prints throughput, latency percentiles, imbalance (max/mean of per-backend ok counts), failures and the split
per backend, with bars. Exits 1 when any task failed, 5 when a threshold is not met (by any policy), which wins over 1.
Each policy's run is saved in the cluster's runs, so \`lbx report\` on a shared cluster reconciles them. Ctrl-C (or
SIGTERM) lets the policy being measured finish its tasks in flight, shows the partial results and exits 130 (143);
a second Ctrl-C ends at once (a private cluster is stopped either way).`;

  static override examples = [
    '<%= config.bin %> bench --policies rr,pf,ll,lc,p2c,ewma,ch --simple 5000 --heavy 200',
    '<%= config.bin %> bench --backends 4 --speeds 1,1,1,0.25 --policies rr,ll,ewma --heavy 400',
    '<%= config.bin %> bench --name lab --policies rr,ch --keys 100 --json',
    '<%= config.bin %> bench --policies rr,ll --max-p99 200ms --max-imbalance 1.5   # a CI gate: exit 5 when not met',
  ];

  static override flags = {
    name: Flags.string({ char: 'n', description: 'Bench this running cluster (left running) instead of a private one; a cluster by that name that is not running is started and stopped like a private one.' }),
    policies: Flags.string({
      description: `Policies to compare, comma-separated, in order: ${POLICIES.map((policy) => policy.shortName).join(', ')} (or long names).`,
      default: DEFAULT_POLICIES,
    }),
    ...workloadFlags(' per policy'),
    keys: Flags.integer({ description: 'Cycle through this many distinct keys, one per task in turn (for consistent hashing); the same keys for every policy.', min: 1, max: 10_000_000 }),
    html: Flags.string({ description: 'Also write the results as one self-contained HTML file.', helpValue: '<file>' }),
    ...clusterFlags,
    ...thresholdFlags,
  };

  async run(): Promise<BenchResult> {
    const { flags, raw } = await this.parse(Bench);
    const { simple, heavy } = taskCounts(flags);
    const thresholds = thresholdsFromFlags(flags);
    const policies = parsePolicyList(flags.policies);
    const policyConfig = policyConfigFromFlags(flags);
    const renderHtml = flags.html === undefined ? undefined : await loadHtmlRenderer();
    const seed = flags.seed ?? randomSeed();
    const quiet = flags.json ?? false;

    const { findExecutable } = await import('../runtime/registry/find-executable.js');
    const { runBench } = await import('../runtime/bench/run-bench.js');
    const { acquireBenchCluster } = await import('../runtime/bench/bench-cluster.js');
    const { guardInterrupts } = await import('../runtime/process/interrupt-guard.js');

    const bench = await acquireBenchCluster(flags.name);
    const given = new Set(raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : [])));
    if (bench.isShared) refuseShapingFlags(bench.name, CLUSTER_SHAPE_FLAGS.filter((flag) => given.has(flag)));
    // Ctrl-C or SIGTERM: the policy being measured winds down and the partial results are shown; a second one ends at once. Either way a private cluster is stopped.
    const interrupts = guardInterrupts({
      onStop: (signal) =>
        this.logToStderr(`\n${signal}: finishing the tasks in flight, then ${bench.isShared ? `leaving cluster "${bench.name}" running on the policy being benched (lbx policy shows it)` : `stopping cluster "${bench.name}"`} (Ctrl-C again to abort)`),
      onAbort: () => void bench.release().finally(() => process.exit(interrupts.exitCode ?? 130)),
    });
    try {
      const cluster = await bench.ensureStarted(async () => {
        const planned = planCluster(bench.name, policies[0]!, flags, findExecutable);
        for (const policy of policies) checkPolicyFits(policy, policyConfig, flags.backends);
        return (await startCluster(planned, { quiet, note: (line) => this.logToStderr(line) })).file;
      });
      if (bench.isShared) {
        const backends = cluster.components.filter((component) => component.role === 'backend' && component.state !== 'removed').length;
        for (const policy of policies) checkPolicyFits(policy, { ...cluster.spec.policyConfig, ...policyConfig }, backends);
      }

      const progress = await startProgress(`bench on cluster "${bench.name}": ${policies.length} policies`, { quiet });
      let track = trackTaskProgress(progress, '');
      const measured = await runBench({
        cluster,
        policies: policies.map((policy) => policy.name),
        policyConfig,
        workload: { simple, heavy, concurrency: flags.concurrency, seed, ...(flags.keys === undefined ? {} : { keys: flags.keys }), timeoutMs: DEFAULT_TIMEOUT_MS, maxAttempts: DEFAULT_RETRIES + 1, workUnits: flags['work-units'] },
        paths: bench.paths,
        stop: interrupts.signal,
        onEvent: (event) => {
          if (event.type === 'save-failed') this.logToStderr(`warning: the ${event.policy} run could not be saved for lbx report: ${event.error}`);
          if (event.type === 'policy-start') track = trackTaskProgress(progress, `[${event.index + 1}/${event.count}] ${event.policy}`);
          if (event.type === 'progress') track(event.done, event.total, event.failed);
        },
      }).catch((error: unknown) => {
        progress.fail('bench failed');
        throw error;
      });
      const failedTasks = measured.policies.reduce((sum, entry) => sum + entry.summary.failed, 0);
      const ending = `${measured.policies.length} policies × ${simple + heavy} tasks, seed ${seed}${failedTasks > 0 ? `, ${failedTasks} tasks failed` : ''}`;
      if (measured.interrupted) progress.fail(`bench interrupted: ${ending}`);
      else progress.succeed(`bench done: ${ending}`);

      const { outcome, verdict } = concludeRun(thresholds, measured.policies.map(({ policy, summary, imbalance }) => ({ policy, summary, imbalance })), failedTasks);
      const result: BenchResult = { ...measured, ...(outcome ? { thresholds: outcome } : {}) };
      if (renderHtml && flags.html !== undefined) await writeFile(flags.html, renderHtml(result));
      if (!flags.json) this.log(renderBenchResult(result, { color: shouldColor(process.stdout, process.env), keys: flags.keys, html: flags.html }));
      if (verdict && !verdict.passed) this.logToStderr(verdict.text);
      else if (verdict && !flags.json) this.log(`\n${verdict.text}`);
      if (interrupts.exitCode !== undefined) process.exitCode = interrupts.exitCode;
      return result;
    } finally {
      interrupts.dispose();
      await bench.release();
    }
  }
}

/** Flags that would shape a new cluster cannot apply to a running one: refused, not silently ignored. */
function refuseShapingFlags(name: string, shaping: readonly string[]): void {
  if (shaping.length === 0) return;
  throw new LbxError('usage', `cluster "${name}" is running: ${shaping.map((flag) => `--${flag}`).join(', ')} would shape a new cluster and cannot apply to it`, [
    `drop ${shaping.length > 1 ? 'them' : 'it'} to bench "${name}" as it is`,
    'or leave out --name to bench a private cluster with those settings',
  ]);
}

/** "rr,ll,ch" → the policies, in order, each once; an unknown name is a usage error naming the choices. */
function parsePolicyList(text: string): PolicyFactory[] {
  const names = text.split(',').map((name) => name.trim()).filter((name) => name.length > 0);
  if (names.length === 0) throw new LbxError('usage', `--policies "${text}": expected policy names separated by commas, e.g. rr,ll,p2c`);
  const policies = names.map((name) => resolvePolicy(name));
  return policies.filter((policy, index) => policies.findIndex((other) => other.name === policy.name) === index);
}

/** The HTML renderer, loaded only when --html asks for it (a literal import, so a bundler includes it). */
async function loadHtmlRenderer(): Promise<(result: BenchResult) => string> {
  const { renderBenchHtml } = await import('../cli/html/render-bench-html.js');
  return renderBenchHtml;
}
