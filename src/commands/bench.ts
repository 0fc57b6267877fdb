import { concludeBench } from '../cli/bench-outcome.js';
import { benchFlags, loadHtmlRenderer, parsePolicyList, refuseShapingFlags } from '../cli/bench-flags.js';
import { planCluster, startCluster } from '../cli/cluster-flags.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { policyConfigFromFlags } from '../cli/policy-flags.js';
import { startProgress } from '../cli/spinner.js';
import { showBenchProgress } from '../cli/task-progress.js';
import { thresholdsFromFlags } from '../cli/threshold-flags.js';
import { randomSeed, taskCounts } from '../cli/workload-flags.js';
import { checkPolicyFits } from '../core/policies/policy-config.js';
import type { BenchResult } from '../runtime/bench/bench-result.js';
import { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';

export default class Bench extends LbxCommand {
  static override summary = 'Compare policies: the same workload under each, on one cluster, in one table.';

  static override description = `Starts a private cluster (same flags as \`up\`; named bench-<pid>, stopped at the end, also on failure or Ctrl-C), or with --name uses that running cluster and leaves it running (its policy is left at the last one benched).

For each policy: switch the LB to it, send the same tasks (same --seed, same --keys), and sample every backend's load every 250 ms. Prints throughput, latency percentiles, imbalance (max/mean of per-backend ok counts), failures and the split per backend, with bars. Exits 1 when any task failed, 5 when a threshold is not met (by any policy), which wins over 1.

Each policy's run is saved in the cluster's runs, so \`lbx report\` on a shared cluster reconciles them. Ctrl-C (or SIGTERM) lets the policy being measured finish its tasks in flight, shows the partial results and exits 130 (143); a second Ctrl-C ends at once (a private cluster is stopped either way).`;

  static override examples = [
    '<%= config.bin %> bench --policies rr,pf,ll,lc,p2c,ewma,ch --simple 5000 --heavy 200',
    '<%= config.bin %> bench --backends 4 --speeds 1,1,1,0.25 --policies rr,ll,ewma --heavy 400',
    '<%= config.bin %> bench --name lab --policies rr,ch --keys 100 --json',
    '<%= config.bin %> bench --policies rr,ll --max-p99 200ms --max-imbalance 1.5   # a CI gate: exit 5 when not met',
  ];

  static override flags = benchFlags;

  async run(): Promise<BenchResult> {
    const { flags, raw } = await this.parse(Bench);
    const { simple, heavy } = taskCounts(flags);
    const thresholds = thresholdsFromFlags(flags);
    const policies = parsePolicyList(flags.policies);
    const policyConfig = policyConfigFromFlags(flags);
    const renderHtml = await loadHtmlRenderer(flags.html);
    const seed = flags.seed ?? randomSeed();
    const quiet = flags.json ?? false;

    const { findExecutable } = await import('../runtime/registry/find-executable.js');
    const { runBench } = await import('../runtime/bench/run-bench.js');
    const { acquireBenchCluster } = await import('../runtime/bench/bench-cluster.js');
    const { guardInterrupts } = await import('../runtime/process/interrupt-guard.js');

    const bench = await acquireBenchCluster(flags.name);
    if (bench.isShared) refuseShapingFlags(bench.name, new Set(raw.flatMap((token) => (token.type === 'flag' ? [token.flag] : []))));
    // Ctrl-C or SIGTERM: the policy being measured winds down and the partial results are shown; a second one ends at once. Either way a private cluster is stopped.
    const interrupts = guardInterrupts({
      onStop: (signal) =>
        this.logToStderr(
          `\n${signal}: finishing the tasks in flight, then ${bench.isShared ? `leaving cluster "${bench.name}" running on the policy being benched (lbx policy shows it)` : `stopping cluster "${bench.name}"`} (Ctrl-C again to abort)`,
        ),
      onAbort: () => void bench.release().finally(() => process.exit(interrupts.exitCode ?? 130)),
    });
    try {
      const cluster = await bench.ensureStarted(async () => {
        for (const policy of policies) checkPolicyFits(policy, policyConfig, flags.backends);
        return (await startCluster(planCluster(bench.name, policies[0]!, flags, findExecutable), { quiet, note: (line) => this.logToStderr(line) })).file;
      });
      // A shared cluster may have been scaled: every policy must fit what serves now.
      const serving = cluster.components.filter((component) => component.role === 'backend' && component.state !== 'removed').length;
      for (const policy of policies) checkPolicyFits(policy, { ...cluster.spec.policyConfig, ...policyConfig }, serving);

      const progress = await startProgress(`bench on cluster "${bench.name}": ${policies.length} policies`, { quiet });
      const workload = {
        simple,
        heavy,
        concurrency: flags.concurrency,
        seed,
        ...(flags.keys === undefined ? {} : { keys: flags.keys }),
        timeoutMs: DEFAULT_TIMEOUT_MS,
        maxAttempts: DEFAULT_RETRIES + 1,
        workUnits: flags['work-units'],
      };
      const measured = await runBench({
        cluster,
        policies: policies.map((policy) => policy.name),
        policyConfig,
        workload,
        paths: bench.paths,
        stop: interrupts.signal,
        onEvent: showBenchProgress(progress, this),
      }).catch((error: unknown) => {
        progress.fail('bench failed');
        throw error;
      });
      return await concludeBench(measured, {
        progress,
        out: this,
        json: quiet,
        thresholds,
        ...(flags.keys === undefined ? {} : { keys: flags.keys }),
        ...(flags.html === undefined ? {} : { html: flags.html }),
        ...(renderHtml ? { renderHtml } : {}),
        ...(interrupts.exitCode === undefined ? {} : { interruptExitCode: interrupts.exitCode }),
      });
    } finally {
      interrupts.dispose();
      await bench.release();
    }
  }
}
