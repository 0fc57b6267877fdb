import { readyBenchCluster } from '../cli/bench-cluster-start.js';
import { benchClientsFromFlag, benchFlags, benchStopNote, isFlagGiven, loadHtmlRenderer, parsePolicyList, refuseShapingFlags } from '../cli/bench-flags.js';
import { parseProxyList, planProxyArms, runProxyBench } from '../cli/bench-proxies.js';
import { concludeBench } from '../cli/bench-outcome.js';
import { runGrayBench } from '../cli/bench-scenario.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { policyConfigFromFlags } from '../cli/policy-flags.js';
import { guardRunInterrupts } from '../cli/run-interrupts.js';
import { startProgress } from '../cli/spinner.js';
import { showBenchProgress } from '../cli/task-progress.js';
import { thresholdsFromFlags } from '../cli/threshold-flags.js';
import { workloadFromFlags } from '../cli/workload-flags.js';
import type { BenchCluster } from '../runtime/bench/bench-cluster.js';
import type { BenchResult } from '../runtime/bench/bench-result.js';
import type { GrayResult } from '../runtime/bench/gray-scenario.js';
import { findExecutable, findSystemExecutable } from '../runtime/registry/find-executable.js';

export default class Bench extends LbxCommand {
  static override summary = 'Compare policies: the same workload under each, on one cluster, in one table.';

  static override description = `Starts a private cluster (same flags as \`up\`; named bench-<pid>, stopped at the end, also on failure or Ctrl-C), or with --name uses that running cluster and leaves it running (its policy is left at the last one benched).

For each policy: switch the LB to it, send the same tasks (same --seed, same --keys), and sample every backend's load every 250 ms. With --client lbx,xds each policy's tasks are sent once by each client in turn (lbx's look-aside picks, then a stock grpc-js-xds client following the LB's xDS, in its own process), and CLIENT is a column. Prints throughput, latency percentiles, imbalance (max/mean of per-backend ok counts), failures and the split per backend, with bars. Exits 1 when any task failed, 5 when a threshold is not met (by any policy), which wins over 1.

With --proxy lbx,haproxy,nginx (proxy mode) each data plane gets a private cluster of its own, one after the other, with the same ports, backends and seed: PROXY and PROXY CPU/1K (CPU ms of the proxy's processes per 1,000 calls, from /proc: the LB for lbx, the master and workers for HAProxy and NGINX) are columns, and a policy a data plane lacks is skipped and said so. --name with --proxy benches that running cluster's own data plane only. --kill-during SIGKILLs one backend halfway through each run (started again after it).

Each policy's run (each client's, with --client) is saved in the cluster's runs, so \`lbx report\` on a shared cluster reconciles them. Ctrl-C (or SIGTERM) lets the policy being measured finish its tasks in flight, shows the partial results and exits 130 (143); a second Ctrl-C ends at once (a private cluster is stopped either way).`;

  static override examples = [
    '<%= config.bin %> bench --policies rr,pf,ll,lc,p2c,ewma,ch --simple 5000 --heavy 200',
    '<%= config.bin %> bench --backends 4 --speeds 1,1,1,0.25 --policies rr,ll,ewma --heavy 400',
    '<%= config.bin %> bench --name lab --policies rr,ch --keys 100 --json',
    '<%= config.bin %> bench --policies rr,ll --max-p99 200ms --max-imbalance 1.5   # a CI gate: exit 5 when not met',
    '<%= config.bin %> bench --proxy lbx,haproxy,nginx --policies rr,lc --simple 3000   # the same workload through each data plane',
    '<%= config.bin %> bench --proxy lbx,haproxy --policies lc --simple 5000 --kill-during --json',
    "<%= config.bin %> bench --client lbx,xds --policies rr,wrr --backends 3 --weights 1,1,2 --simple 2000   # lbx's picks vs a stock xDS client",
    '<%= config.bin %> bench --client xds --policies rr,ch --keys 100 --json',
    '<%= config.bin %> bench --scenario gray   # gray failures: each policy without and with retries, a budget and hedging, against a no-fault baseline',
    '<%= config.bin %> bench --scenario gray --policies rr,pq --simple 600 --heavy 0 --json',
  ];

  static override flags = benchFlags;

  async run(): Promise<BenchResult | GrayResult> {
    const { flags, raw } = await this.parse(Bench);
    // --proxy here lists data planes, which a scenario refuses (runGrayBench says so); the cluster it starts is lbx's own.
    const { proxy: _dataPlanes, ...scenarioFlags } = flags;
    if (flags.scenario !== undefined) return runGrayBench(this, { ...scenarioFlags, scenario: flags.scenario }, raw, policyConfigFromFlags(flags));
    const workload = workloadFromFlags(flags);
    const thresholds = thresholdsFromFlags(flags);
    const policies = parsePolicyList(flags.policies);
    const clients = await benchClientsFromFlag(flags.client);
    const policyConfig = policyConfigFromFlags(flags);
    const renderHtml = await loadHtmlRenderer(flags.html);
    const quiet = flags.json ?? false;

    // --proxy here is a list of data planes; `up`'s --proxy (one data plane) is set per cluster by runProxyBench.
    const { proxy: proxyList, ...clusterFlags } = flags;
    const find = (binary: string): string | undefined => findExecutable(binary) ?? findSystemExecutable(binary);
    const checks = { mode: flags.mode, isModeGiven: isFlagGiven(raw, 'mode'), clients, hashBalance: policyConfig.hashBalance, find };
    const plans = proxyList === undefined ? undefined : planProxyArms(parseProxyList(proxyList), policies, checks);

    const { runBench } = await import('../runtime/bench/run-bench.js');
    const { acquireBenchCluster } = await import('../runtime/bench/bench-cluster.js');
    // With --proxy the clusters come one after the other (runProxyBench acquires them); an abort stops the one running.
    let bench: BenchCluster | undefined = plans ? undefined : await acquireBenchCluster(flags.name);
    if (bench?.isShared) refuseShapingFlags(bench.name, raw);
    const stopNote = bench ? benchStopNote(bench) : "finishing the tasks in flight, then stopping the data plane's cluster";
    // Ctrl-C or SIGTERM: the policy being measured winds down and the partial results are shown; a second one ends at once. Either way a private cluster is stopped.
    const interrupts = guardRunInterrupts(this, { stopNote, onAbort: () => bench?.release() });
    const note = (line: string): void => this.logToStderr(line);
    const ending = { out: this, json: quiet, thresholds, keys: flags.keys, html: flags.html, renderHtml };
    try {
      if (plans) {
        const killDuring = flags['kill-during'];
        const run = {
          plans,
          policies,
          name: flags.name,
          flags: clusterFlags,
          policyConfig,
          workload,
          killDuring,
          stop: interrupts.signal,
          quiet,
          out: this,
          refuseShaping: (name: string) => refuseShapingFlags(name, raw),
          onCluster: (next: BenchCluster) => (bench = next),
        };
        const measured = await runProxyBench(run);
        return await concludeBench(measured, { ...ending, interruptExitCode: interrupts.exitCode, progress: await startProgress('bench --proxy', { quiet }) });
      }
      const cluster = await readyBenchCluster(bench!, policies, policyConfig, clusterFlags, { quiet, note });
      const withClients = clients.some((client) => client !== 'lbx');
      const progress = await startProgress(`bench on cluster "${bench!.name}": ${policies.length} policies${withClients ? ` × clients ${clients.join(', ')}` : ''}`, { quiet });
      const names = policies.map((policy) => policy.name);
      const onEvent = showBenchProgress(progress, this, { withClients });
      const options = { cluster, policies: names, clients, policyConfig, workload, paths: bench!.paths, stop: interrupts.signal, onEvent, killDuring: flags['kill-during'] };
      const measured = await runBench(options).catch((error: unknown) => {
        progress.fail('bench failed');
        throw error;
      });
      // Read now, not before the run: the exit code exists only once a signal came.
      return await concludeBench(measured, { ...ending, interruptExitCode: interrupts.exitCode, progress });
    } finally {
      interrupts.dispose();
      await bench?.release();
    }
  }
}
