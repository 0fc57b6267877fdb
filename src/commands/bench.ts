import { readyBenchCluster } from '../cli/bench-cluster-start.js';
import { benchClientsFromFlag, benchFlags, benchStopNote, loadHtmlRenderer, parsePolicyList, refuseShapingFlags } from '../cli/bench-flags.js';
import { concludeBench } from '../cli/bench-outcome.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { policyConfigFromFlags } from '../cli/policy-flags.js';
import { guardRunInterrupts } from '../cli/run-interrupts.js';
import { startProgress } from '../cli/spinner.js';
import { showBenchProgress } from '../cli/task-progress.js';
import { thresholdsFromFlags } from '../cli/threshold-flags.js';
import { workloadFromFlags } from '../cli/workload-flags.js';
import type { BenchResult } from '../runtime/bench/bench-result.js';

export default class Bench extends LbxCommand {
  static override summary = 'Compare policies: the same workload under each, on one cluster, in one table.';

  static override description = `Starts a private cluster (same flags as \`up\`; named bench-<pid>, stopped at the end, also on failure or Ctrl-C), or with --name uses that running cluster and leaves it running (its policy is left at the last one benched).

For each policy: switch the LB to it, send the same tasks (same --seed, same --keys), and sample every backend's load every 250 ms. With --client lbx,xds each policy's tasks are sent once by each client in turn (lbx's look-aside picks, then a stock grpc-js-xds client following the LB's xDS, in its own process), and CLIENT is a column. Prints throughput, latency percentiles, imbalance (max/mean of per-backend ok counts), failures and the split per backend, with bars. Exits 1 when any task failed, 5 when a threshold is not met (by any policy), which wins over 1.

Each policy's run (each client's, with --client) is saved in the cluster's runs, so \`lbx report\` on a shared cluster reconciles them. Ctrl-C (or SIGTERM) lets the policy being measured finish its tasks in flight, shows the partial results and exits 130 (143); a second Ctrl-C ends at once (a private cluster is stopped either way).`;

  static override examples = [
    '<%= config.bin %> bench --policies rr,pf,ll,lc,p2c,ewma,ch --simple 5000 --heavy 200',
    '<%= config.bin %> bench --backends 4 --speeds 1,1,1,0.25 --policies rr,ll,ewma --heavy 400',
    '<%= config.bin %> bench --name lab --policies rr,ch --keys 100 --json',
    '<%= config.bin %> bench --policies rr,ll --max-p99 200ms --max-imbalance 1.5   # a CI gate: exit 5 when not met',
    "<%= config.bin %> bench --client lbx,xds --policies rr,wrr --backends 3 --weights 1,1,2 --simple 2000   # lbx's picks vs a stock xDS client",
    '<%= config.bin %> bench --client xds --policies rr,ch --keys 100 --json',
  ];

  static override flags = benchFlags;

  async run(): Promise<BenchResult> {
    const { flags, raw } = await this.parse(Bench);
    const workload = workloadFromFlags(flags);
    const thresholds = thresholdsFromFlags(flags);
    const policies = parsePolicyList(flags.policies);
    const clients = await benchClientsFromFlag(flags.client);
    const policyConfig = policyConfigFromFlags(flags);
    const renderHtml = await loadHtmlRenderer(flags.html);
    const quiet = flags.json ?? false;

    const { runBench } = await import('../runtime/bench/run-bench.js');
    const { acquireBenchCluster } = await import('../runtime/bench/bench-cluster.js');
    const bench = await acquireBenchCluster(flags.name);
    if (bench.isShared) refuseShapingFlags(bench.name, raw);
    // Ctrl-C or SIGTERM: the policy being measured winds down and the partial results are shown; a second one ends at once. Either way a private cluster is stopped.
    const interrupts = guardRunInterrupts(this, { stopNote: benchStopNote(bench), onAbort: () => bench.release() });
    try {
      const cluster = await readyBenchCluster(bench, policies, policyConfig, flags, { quiet, note: (line) => this.logToStderr(line) });
      const withClients = clients.some((client) => client !== 'lbx');
      const progress = await startProgress(`bench on cluster "${bench.name}": ${policies.length} policies${withClients ? ` × clients ${clients.join(', ')}` : ''}`, { quiet });
      const names = policies.map((policy) => policy.name);
      const onEvent = showBenchProgress(progress, this, { withClients });
      const measured = await runBench({ cluster, policies: names, clients, policyConfig, workload, paths: bench.paths, stop: interrupts.signal, onEvent }).catch(
        (error: unknown) => {
          progress.fail('bench failed');
          throw error;
        },
      );
      const { keys, html } = flags;
      return await concludeBench(measured, { progress, out: this, json: quiet, thresholds, keys, html, renderHtml, interruptExitCode: interrupts.exitCode });
    } finally {
      interrupts.dispose();
      await bench.release();
    }
  }
}
