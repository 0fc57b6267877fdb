import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { renderRunDistribution, renderRunTotals } from '../cli/render-run.js';
import { formatCount } from '../cli/format.js';
import { startProgress } from '../cli/spinner.js';
import { LbxError } from '../core/lbx-error.js';
import { MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import { parseLbWaitMs } from '../runtime/client/lb-wait.js';
import { DEFAULT_CONCURRENCY, DEFAULT_LB_WAIT_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import type { SavedRun } from '../runtime/cluster/run-store.js';

const MAX_TASKS = 10_000_000;
const DEFAULT_SIMPLE_WHEN_UNSPECIFIED = 1_000;

export default class Send extends LbxCommand {
  static override summary = 'Drive tasks through the cluster and show where they went.';

  static override description = `Finds the LB through the registry; for each task asks it for a backend (GetServer), then calls that backend (ProcessTask).
On UNAVAILABLE or a deadline the task is retried on another backend (the failed one excluded), up to --retries times.
While the LB is down or restarting, tasks wait for it (pausing 50 ms, doubling to 1 s, and looking it up in the registry
again) without using retries; a task fails only after --lb-wait without a pick.
Progress goes to stderr; the distribution table (or --json) to stdout; the run is saved for \`lbx report\`.
Exits 1 when any task failed. With neither --simple nor --heavy, sends ${DEFAULT_SIMPLE_WHEN_UNSPECIFIED} SIMPLE tasks.`;

  static override examples = [
    '<%= config.bin %> send --simple 2000 --heavy 50',
    '<%= config.bin %> send --heavy 500 --concurrency 32',
    '<%= config.bin %> send --simple 10000 --concurrency 64 --json',
    '<%= config.bin %> send --simple 10000 --keys 1000   # for consistent hashing',
    '<%= config.bin %> send --simple 5000 --lb-wait 30s   # ride out a slow LB restart',
  ];

  static override flags = {
    name: clusterNameFlag,
    simple: Flags.integer({ char: 's', description: 'Number of SIMPLE tasks (answered at once).', min: 0, max: MAX_TASKS }),
    heavy: Flags.integer({ char: 'H', description: 'Number of CPU_HEAVY tasks (real CPU work on the backend).', min: 0, max: MAX_TASKS }),
    concurrency: Flags.integer({ char: 'c', description: 'Tasks in flight at once.', min: 1, max: 1_024, default: DEFAULT_CONCURRENCY }),
    timeout: Flags.integer({ description: 'Deadline of each call to a backend (ms).', min: 1, max: 600_000, default: DEFAULT_TIMEOUT_MS }),
    retries: Flags.integer({ description: 'Retries per task after a retryable failure, each on another backend.', min: 0, max: 10, default: DEFAULT_RETRIES }),
    'work-units': Flags.integer({ description: 'CPU_HEAVY size in work units (0 = the backends\' default).', min: 0, max: MAX_WORK_UNITS, default: 0 }),
    key: Flags.string({ description: 'Affinity key sent with every task (for key-based policies).', exclusive: ['keys'] }),
    keys: Flags.integer({ description: 'Cycle through this many distinct keys ("key-0", "key-1", …), one per task in turn (for consistent hashing).', min: 1, max: 10_000_000 }),
    // A string parsed in run(), so a bad value gets lbx's own one-line usage error.
    'lb-wait': Flags.string({
      description: 'How long a task waits for an LB that is down or restarting before it fails, in ms or with a unit (500ms, 10s, 1m); 0 fails at once.',
      helpValue: '<ms|duration>',
      default: `${DEFAULT_LB_WAIT_MS / 1_000}s`,
    }),
    seed: Flags.integer({ description: 'Seed of the task order (SIMPLE and CPU_HEAVY shuffled); default: random, saved with the run.', min: 0, max: 4_294_967_295 }),
  };

  async run(): Promise<SavedRun> {
    const { flags } = await this.parse(Send);
    const simple = flags.simple ?? (flags.heavy === undefined ? DEFAULT_SIMPLE_WHEN_UNSPECIFIED : 0);
    const heavy = flags.heavy ?? 0;
    if (simple + heavy === 0) throw new LbxError('usage', 'nothing to send: --simple and --heavy are both 0; give at least one task');
    const lbWaitMs = parseLbWaitMs(flags['lb-wait']);
    if (flags.key !== undefined && flags.key.length > 256) throw new LbxError('usage', `--key is ${flags.key.length} characters: expected at most 256`);

    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { clusterPaths } = await import('../runtime/cluster/cluster-paths.js');
    const { resolveLbAddress } = await import('../runtime/client/resolve-lb.js');
    const { runSend } = await import('../runtime/client/send-run.js');
    const { saveRun, RUN_SCHEMA_VERSION } = await import('../runtime/cluster/run-store.js');

    const cluster = await requireRunningCluster(flags.name);
    // An LB that is restarting is not listed as passing: start with the cluster's LB address and wait for it.
    const lbAddress = await resolveLbAddress(cluster.registryAddress).catch((error: unknown) => {
      this.logToStderr(`warning: ${error instanceof Error ? error.message : String(error)}; trying the cluster's LB at ${cluster.lbAddress} for up to --lb-wait`);
      return cluster.lbAddress;
    });
    const mode = cluster.spec.mode ?? 'lookaside';
    const total = simple + heavy;
    const progress = await startProgress(`sending ${total} tasks via ${lbAddress}`, { quiet: flags.json });
    let lastShownAt = 0;
    const result = await runSend({
      target: { kind: mode === 'proxy' ? 'proxy' : 'lb', address: lbAddress },
      simple,
      heavy,
      concurrency: flags.concurrency,
      timeoutMs: flags.timeout,
      maxAttempts: flags.retries + 1,
      workUnits: flags['work-units'],
      registryAddress: cluster.registryAddress,
      lbWaitMs,
      seed: flags.seed ?? Math.floor(Math.random() * 4_294_967_296),
      ...(flags.key === undefined ? {} : { key: flags.key }),
      ...(flags.keys === undefined ? {} : { keys: flags.keys }),
      onProgress: (done) => {
        const now = performance.now();
        if (now - lastShownAt < 100 && done < total) return;
        lastShownAt = now;
        progress.update(`sending: ${done}/${total}`);
      },
    });
    const run: SavedRun = {
      schemaVersion: RUN_SCHEMA_VERSION,
      ...result,
      // Through a proxy the client never sees a pick; the policy is the cluster's at send time.
      policy: result.policy || cluster.spec.policy,
      mode,
      request: { simple, heavy, concurrency: flags.concurrency, timeoutMs: flags.timeout },
    };
    await saveRun(clusterPaths(flags.name), run);
    const summary = result.summary;
    const line = `${summary.ok}/${summary.sent} ok (${mode} mode, policy ${result.policy || cluster.spec.policy}), ${summary.failed} failed`;
    if (summary.failed > 0) progress.fail(line);
    else progress.succeed(line);

    if (!flags.json) {
      this.log(renderRunDistribution(summary));
      this.log('');
      this.log(renderRunTotals(summary));
      if (result.lbWaits > 0) this.log(`waited for the LB ${formatCount(result.lbWaits)} time${result.lbWaits === 1 ? '' : 's'} (it was unreachable or restarting; waits use no retries)`);
    }
    if (summary.failed > 0) {
      process.exitCode = 1;
      if (!flags.json) this.logToStderr(`error: ${summary.failed} of ${summary.sent} tasks failed`);
    }
    return run;
  }
}
