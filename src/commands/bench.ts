import { writeFile } from 'node:fs/promises';

import { Flags } from '@oclif/core';

import { shouldColor } from '../cli/bars.js';
import { clusterFlags, planCluster, startCluster } from '../cli/cluster-flags.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { policyConfigFromFlags } from '../cli/policy-flags.js';
import { renderBenchComparison, renderBenchDistribution } from '../cli/render-bench.js';
import { renderThresholds } from '../cli/render-thresholds.js';
import { startProgress } from '../cli/spinner.js';
import { thresholdFlags, thresholdsFromFlags } from '../cli/threshold-flags.js';
import { EXIT_CODES, LbxError } from '../core/lbx-error.js';
import { POLICIES, resolvePolicy } from '../core/policies/index.js';
import { checkPolicyFits } from '../core/policies/policy-config.js';
import type { PolicyFactory } from '../core/policies/policy.js';
import { evaluateThresholds, hasThresholds } from '../core/thresholds.js';
import { MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import type { BenchResult } from '../runtime/bench/bench-result.js';
import { DEFAULT_CONCURRENCY, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import type { ClusterFile } from '../runtime/cluster/cluster-file.js';

const DEFAULT_POLICIES = 'rr,pf,ll,lc,p2c,ewma,ch';
const DEFAULT_SIMPLE_WHEN_UNSPECIFIED = 1_000;
const MAX_TASKS = 10_000_000;
/** Flags that shape a new cluster; with --name of a running one they would be silently ignored, so they are refused. */
const CLUSTER_SHAPE_FLAGS = ['backends', 'registry', 'base-port', 'host', 'heavy-work-units', 'report-interval', 'mode', 'weights', 'speeds', 'respawn'];
/** The HTML renderer, built from src/cli/html/ when that part is present. */
/** Progress text is redrawn at most this often. */
const PROGRESS_REDRAW_MS = 100;

export default class Bench extends LbxCommand {
  static override summary = 'Compare policies: the same workload under each, on one cluster, in one table.';

  static override description = `Starts a private cluster (same flags as \`up\`; named bench-<pid>, stopped at the end, also on failure or Ctrl-C),
or with --name uses that running cluster and leaves it running (its policy is left at the last one benched).
For each policy: switch the LB to it, send the same tasks (same --seed, same --keys), and sample every backend's load
every 250 ms. Prints throughput, latency percentiles, imbalance (max/mean of per-backend ok counts), failures and the split
per backend, with bars. Exits 1 when any task failed, 5 when a threshold is not met (by any policy), which wins over 1.`;

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
    simple: Flags.integer({ char: 's', description: 'SIMPLE tasks per policy.', min: 0, max: MAX_TASKS }),
    heavy: Flags.integer({ char: 'H', description: 'CPU_HEAVY tasks per policy.', min: 0, max: MAX_TASKS }),
    concurrency: Flags.integer({ char: 'c', description: 'Tasks in flight at once.', min: 1, max: 1_024, default: DEFAULT_CONCURRENCY }),
    'work-units': Flags.integer({ description: 'CPU_HEAVY size in work units (0 = the backends\' default).', min: 0, max: MAX_WORK_UNITS, default: 0 }),
    keys: Flags.integer({ description: 'Cycle through this many distinct keys, one per task in turn (for consistent hashing); the same keys for every policy.', min: 1, max: 10_000_000 }),
    seed: Flags.integer({ description: 'Seed of the task order, the same for every policy; default: random, printed.', min: 0, max: 4_294_967_295 }),
    html: Flags.string({ description: 'Also write the results as one self-contained HTML file.', helpValue: '<file>' }),
    ...clusterFlags,
    ...thresholdFlags,
  };

  async run(): Promise<BenchResult> {
    const { flags, raw } = await this.parse(Bench);
    const simple = flags.simple ?? (flags.heavy === undefined ? DEFAULT_SIMPLE_WHEN_UNSPECIFIED : 0);
    const heavy = flags.heavy ?? 0;
    if (simple + heavy === 0) throw new LbxError('usage', 'nothing to send: --simple and --heavy are both 0; give at least one task');
    const thresholds = thresholdsFromFlags(flags);
    const policies = parsePolicyList(flags.policies);
    const policyConfig = policyConfigFromFlags(flags);
    const renderHtml = flags.html === undefined ? undefined : await loadHtmlRenderer();
    const seed = flags.seed ?? Math.floor(Math.random() * 4_294_967_296);
    const quiet = flags.json ?? false;

    const { lookupCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { findExecutable } = await import('../runtime/registry/find-executable.js');
    const { runBench } = await import('../runtime/bench/run-bench.js');
    const { stopCluster } = await import('../runtime/bench/stop-cluster.js');

    const name = flags.name ?? `bench-${process.pid}`;
    const lookup = flags.name === undefined ? undefined : await lookupCluster(flags.name);
    const given = new Set(raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : [])));
    const isShared = lookup?.kind === 'running';
    if (isShared) {
      const shaping = CLUSTER_SHAPE_FLAGS.filter((flag) => given.has(flag));
      if (shaping.length > 0) {
        throw new LbxError('usage', `cluster "${name}" is running: ${shaping.map((flag) => `--${flag}`).join(', ')} would shape a new cluster and cannot apply to it`, [
          `drop ${shaping.length > 1 ? 'them' : 'it'} to bench "${name}" as it is`,
          'or leave out --name to bench a private cluster with those settings',
        ]);
      }
    }

    let owned = false;
    const stopOwned = async (): Promise<void> => {
      if (!owned) return;
      owned = false;
      await stopCluster(name);
    };
    // Ctrl-C or a SIGTERM mid-run still stops the private cluster before exiting.
    const onSignal = (signal: NodeJS.Signals): void => {
      // A shared cluster is left running, on whichever policy was being benched: say so rather than claim a stop.
      process.stderr.write(owned ? `\n${signal}: stopping cluster "${name}"\n` : `\n${signal}: cluster "${name}" left running, on the policy being benched (lbx policy shows it)\n`);
      void stopOwned().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      let cluster: ClusterFile;
      if (isShared) {
        cluster = lookup.file;
      } else {
        const planned = planCluster(name, policies[0]!, flags, findExecutable);
        for (const policy of policies) checkPolicyFits(policy, policyConfig, flags.backends);
        owned = true;
        cluster = (await startCluster(planned, { quiet, note: (line) => this.logToStderr(line) })).file;
      }
      if (isShared) {
        const backends = cluster.components.filter((component) => component.role === 'backend' && component.state !== 'removed').length;
        for (const policy of policies) checkPolicyFits(policy, { ...cluster.spec.policyConfig, ...policyConfig }, backends);
      }

      const progress = await startProgress(`bench on cluster "${name}": ${policies.length} policies`, { quiet });
      let lastShownAt = 0;
      const measured = await runBench({
        cluster,
        policies: policies.map((policy) => policy.name),
        policyConfig,
        workload: {
          simple,
          heavy,
          concurrency: flags.concurrency,
          seed,
          ...(flags.keys === undefined ? {} : { keys: flags.keys }),
          timeoutMs: DEFAULT_TIMEOUT_MS,
          maxAttempts: DEFAULT_RETRIES + 1,
          workUnits: flags['work-units'],
        },
        onEvent: (event) => {
          const step = `[${event.index + 1}/${event.count}] ${event.policy}`;
          if (event.type === 'policy-start') progress.update(`${step}: starting`);
          if (event.type === 'progress') {
            const now = performance.now();
            if (now - lastShownAt < PROGRESS_REDRAW_MS && event.done < event.total) return;
            lastShownAt = now;
            progress.update(`${step}: ${event.done}/${event.total}`);
          }
        },
      }).catch((error: unknown) => {
        progress.fail('bench failed');
        throw error;
      });
      const failedTasks = measured.policies.reduce((sum, entry) => sum + entry.summary.failed, 0);
      progress.succeed(`bench done: ${measured.policies.length} policies × ${simple + heavy} tasks, seed ${seed}${failedTasks > 0 ? `, ${failedTasks} tasks failed` : ''}`);

      const outcome = hasThresholds(thresholds)
        ? evaluateThresholds(thresholds, measured.policies.map(({ policy, summary, imbalance }) => ({ policy, summary, imbalance })))
        : undefined;
      const result: BenchResult = { ...measured, ...(outcome ? { thresholds: outcome } : {}) };

      if (renderHtml && flags.html !== undefined) await writeFile(flags.html, renderHtml(result));
      if (!flags.json) {
        const color = shouldColor(process.stdout, process.env);
        this.log(`cluster "${name}": ${result.cluster.backends} backends, ${result.cluster.mode} mode, ${result.cluster.registry} registry    workload: ${simple} simple + ${heavy} heavy, concurrency ${flags.concurrency}, seed ${seed}${flags.keys === undefined ? '' : `, ${flags.keys} keys`}`);
        this.log('');
        this.log(renderBenchComparison(result));
        this.log('');
        this.log(renderBenchDistribution(result, { color }));
        if (flags.html !== undefined) this.log(`\nHTML report: ${flags.html}`);
      }
      if (failedTasks > 0) process.exitCode = EXIT_CODES.runtime;
      if (outcome) {
        if (!flags.json && outcome.passed) this.log(`\n${renderThresholds(outcome)}`);
        // A failed threshold exits 5 even when tasks failed too: it is the gate the caller asked for.
        if (!outcome.passed) {
          process.exitCode = EXIT_CODES.threshold;
          this.logToStderr(renderThresholds(outcome));
        }
      }
      return result;
    } finally {
      await stopOwned();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
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
