import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag, REGISTRY_KINDS, registryConnectionFromFlags } from '../cli/flags.js';
import { renderSendRun } from '../cli/render-run.js';
import { startProgress } from '../cli/spinner.js';
import { trackTaskProgress } from '../cli/task-progress.js';
import { thresholdFlags, thresholdsFromFlags } from '../cli/threshold-flags.js';
import { concludeRun, DEFAULT_SIMPLE_WHEN_UNSPECIFIED, randomSeed, taskCounts, workloadFlags } from '../cli/workload-flags.js';
import { LbxError } from '../core/lbx-error.js';
import { computeImbalance, type ThresholdOutcome } from '../core/thresholds.js';
import { parseLbWaitMs } from '../runtime/client/lb-wait.js';
import { DEFAULT_LB_WAIT_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import type { SavedRun } from '../runtime/cluster/run-store.js';

/** What `send --json` prints: the run as saved, versioned (docs/json-schema.md), with the threshold checks when any were given. */
export type SendJson = SavedRun & { readonly schema: 'lbx.send/v1'; readonly thresholds?: ThresholdOutcome; readonly saveError?: string };

export default class Send extends LbxCommand {
  static override summary = 'Drive tasks through the cluster and show where they went.';

  static override description = `Finds the LB through the registry; for each task asks it for a backend (GetServer), then calls that backend (ProcessTask).
On UNAVAILABLE or a deadline the task is retried on another backend (the failed one excluded), up to --retries times.
While the LB is down or restarting, tasks wait for it (pausing 50 ms, doubling to 1 s, and looking it up in the registry
again) without using retries; a task fails only after --lb-wait without a pick.
Progress goes to stderr (a line every 5 s without a terminal); the distribution table (or --json) to stdout; the run is
saved for \`lbx report\`, also when it could not finish.
Ctrl-C (or SIGTERM) stops issuing tasks, lets the ones in flight end, prints and saves the partial run marked
interrupted, and exits 130 (143 for SIGTERM); a second Ctrl-C aborts at once.
Exits 1 when any task failed or the run could not be saved; 5 when a threshold (--max-p99, --max-error-rate,
--min-throughput, --max-imbalance) is not met, which wins over 1. With neither --simple nor --heavy, sends ${DEFAULT_SIMPLE_WHEN_UNSPECIFIED} SIMPLE tasks.

With --registry-addr it drives a cluster that has no local state, such as roles started with \`lbx serve lb|backend\`
on several machines: the LB is found in that registry (--registry consul|embedded|etcd, --cluster for etcd's key prefix),
look-aside unless --mode proxy. Such a run is printed (or --json) but not saved: there is no cluster directory to keep it
in, and \`lbx report\` needs a supervisor to reconcile against.`;

  static override examples = [
    '<%= config.bin %> send --simple 2000 --heavy 50',
    '<%= config.bin %> send --heavy 500 --concurrency 32',
    '<%= config.bin %> send --simple 10000 --concurrency 64 --json',
    '<%= config.bin %> send --simple 10000 --keys 1000   # for consistent hashing',
    '<%= config.bin %> send --simple 5000 --max-p99 200ms --max-error-rate 0   # a CI gate: exit 5 when not met',
    '<%= config.bin %> send --simple 5000 --lb-wait 30s   # ride out a slow LB restart',
    '<%= config.bin %> send --registry etcd --registry-addr 10.0.0.5:2379 --cluster lab --simple 500',
  ];

  static override flags = {
    name: clusterNameFlag,
    // No defaults on the --registry-addr flags: oclif's dependsOn would count a default as given.
    'registry-addr': Flags.string({
      description: 'Send to a cluster found through this registry (host:port) instead of a local one: e.g. roles started with `lbx serve lb|backend` on other machines. The run is not saved.',
      helpValue: '<host:port>',
      exclusive: ['name'],
    }),
    registry: Flags.string({
      description: 'What the registry at --registry-addr is: consul (default; the embedded registry speaks the same API), embedded, or etcd.',
      options: [...REGISTRY_KINDS],
      dependsOn: ['registry-addr'],
    }),
    cluster: Flags.string({ description: "The cluster's name in that registry: etcd keys live under /lbx/<name>/ (default: default).", dependsOn: ['registry-addr'] }),
    mode: Flags.option({
      description: "With --registry-addr: how the LB was started, lookaside (default) or proxy. A local cluster's own mode is used otherwise.",
      options: ['lookaside', 'proxy'] as const,
      dependsOn: ['registry-addr'],
    })(),
    ...workloadFlags(''),
    timeout: Flags.integer({ description: 'Deadline of each call to a backend (ms).', min: 1, max: 600_000, default: DEFAULT_TIMEOUT_MS }),
    retries: Flags.integer({ description: 'Retries per task after a retryable failure, each on another backend.', min: 0, max: 10, default: DEFAULT_RETRIES }),
    key: Flags.string({ description: 'Affinity key sent with every task (for key-based policies).', exclusive: ['keys'] }),
    keys: Flags.integer({ description: 'Cycle through this many distinct keys ("key-0", "key-1", …), one per task in turn (for consistent hashing).', min: 1, max: 10_000_000 }),
    // A string parsed in run(), so a bad value gets lbx's own one-line usage error.
    'lb-wait': Flags.string({
      description: 'How long a task waits for an LB that is down or restarting before it fails, in ms or with a unit (500ms, 10s, 1m); 0 fails at once.',
      helpValue: '<ms|duration>',
      default: `${DEFAULT_LB_WAIT_MS / 1_000}s`,
    }),
    ...thresholdFlags,
  };

  async run(): Promise<SendJson> {
    const { flags } = await this.parse(Send);
    const { simple, heavy } = taskCounts(flags);
    const lbWaitMs = parseLbWaitMs(flags['lb-wait']);
    const thresholds = thresholdsFromFlags(flags);
    if (flags.key !== undefined && flags.key.length > 256) throw new LbxError('usage', `--key is ${flags.key.length} characters: expected at most 256`);

    const { localDestination, registryDestination } = await import('../runtime/client/send-destination.js');
    const { sendAndRecord } = await import('../runtime/client/recorded-send.js');
    const { guardInterrupts } = await import('../runtime/process/interrupt-guard.js');
    const destination =
      flags['registry-addr'] === undefined
        ? await localDestination(flags.name)
        : await registryDestination(
            registryConnectionFromFlags({ registry: flags.registry ?? 'consul', 'registry-addr': flags['registry-addr'], cluster: flags.cluster ?? 'default' }),
            flags.mode ?? 'lookaside',
          );
    for (const warning of destination.warnings) this.logToStderr(`warning: ${warning}`);

    const total = simple + heavy;
    const progress = await startProgress(`sending ${total} tasks via ${destination.lbAddress}`, { quiet: flags.json });
    const interrupts = guardInterrupts({
      onStop: (signal) => this.logToStderr(`\n${signal}: no new tasks; waiting for the ones in flight (Ctrl-C again to abort)`),
      onAbort: (signal) => {
        progress.stop();
        this.logToStderr(`${signal} again: aborted; tasks in flight abandoned, run not saved`);
        // From a signal handler: oclif's this.exit() throws, which would surface as an uncaught error.
        process.exit(interrupts.exitCode ?? 130);
      },
    });
    const recorded = await sendAndRecord(destination, {
      simple,
      heavy,
      concurrency: flags.concurrency,
      timeoutMs: flags.timeout,
      maxAttempts: flags.retries + 1,
      workUnits: flags['work-units'],
      lbWaitMs,
      seed: flags.seed ?? randomSeed(),
      ...(flags.key === undefined ? {} : { key: flags.key }),
      ...(flags.keys === undefined ? {} : { keys: flags.keys }),
      onProgress: trackTaskProgress(progress, 'sending'),
      stop: interrupts.signal,
    }).finally(() => interrupts.dispose());

    const { run, saveError } = recorded;
    const summary = run.summary;
    const line = `${summary.ok}/${summary.sent} ok (${run.mode} mode, policy ${run.policy}), ${summary.failed} failed${run.interrupted ? `, interrupted after ${summary.sent} of ${run.planned}` : ''}`;
    if (summary.failed > 0 || run.interrupted) progress.fail(line);
    else progress.succeed(line);
    if (!flags.json) this.log(renderSendRun(run));
    if (saveError !== undefined) this.logToStderr(`error: run ${run.id} could not be saved in ${destination.paths?.runsDir}: ${saveError}; its figures are above`);
    else if (!destination.paths && !flags.json) this.logToStderr(`note: run ${run.id} not saved: a cluster found through --registry-addr has no local directory (use --json to keep it)`);
    if (summary.failed > 0 && !flags.json) this.logToStderr(`error: ${summary.failed} of ${summary.sent} tasks failed`);

    const { outcome, verdict } = concludeRun(thresholds, [{ summary, imbalance: computeImbalance(summary) }], summary.failed);
    if (verdict && !verdict.passed) this.logToStderr(verdict.text);
    else if (verdict && !flags.json) this.log(verdict.text);
    if (saveError !== undefined && !process.exitCode) process.exitCode = 1;
    // An interrupted run exits as the signal asked, whatever else happened.
    if (interrupts.exitCode !== undefined) process.exitCode = interrupts.exitCode;
    return { schema: 'lbx.send/v1', ...run, ...(outcome ? { thresholds: outcome } : {}), ...(saveError === undefined ? {} : { saveError }) };
  }
}
