import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag, REGISTRY_KINDS, registryConnectionFromFlags } from '../cli/flags.js';
import { shouldColor } from '../cli/bars.js';
import { renderRunDistribution, renderRunTotals } from '../cli/render-run.js';
import { renderThresholds } from '../cli/render-thresholds.js';
import { thresholdFlags, thresholdsFromFlags } from '../cli/threshold-flags.js';
import { formatCount } from '../cli/format.js';
import { startProgress } from '../cli/spinner.js';
import { EXIT_CODES, LbxError } from '../core/lbx-error.js';
import { computeImbalance, evaluateThresholds, hasThresholds, type ThresholdOutcome } from '../core/thresholds.js';
import { MAX_WORK_UNITS } from '../runtime/backend/cpu-work.js';
import { parseLbWaitMs } from '../runtime/client/lb-wait.js';
import { DEFAULT_CONCURRENCY, DEFAULT_LB_WAIT_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import type { SavedRun } from '../runtime/cluster/run-store.js';
import type { ClusterPaths } from '../runtime/cluster/cluster-paths.js';
import type { RegistryConnection } from '../runtime/registry/create-registry.js';

/** Where a send goes: a local cluster (`lbx up`), whose runs are saved for `lbx report`, or one found through a registry. */
interface SendDestination {
  readonly registry: RegistryConnection;
  readonly lbAddress: string;
  readonly mode: 'lookaside' | 'proxy';
  /** The cluster's policy as its file says; undefined without one. */
  readonly policy?: string;
  /** Where runs are saved; undefined for a cluster without a local directory. */
  readonly paths?: ClusterPaths;
  /** The backends ready when the send began (from the cluster file); empty without one. */
  readonly backendAddresses: readonly string[];
}

/** What `send --json` prints: the run as saved, versioned (docs/json-schema.md), with the threshold checks when any were given. */
export type SendJson = SavedRun & { readonly schema: 'lbx.send/v1'; readonly thresholds?: ThresholdOutcome };

const MAX_TASKS = 10_000_000;
const DEFAULT_SIMPLE_WHEN_UNSPECIFIED = 1_000;

export default class Send extends LbxCommand {
  static override summary = 'Drive tasks through the cluster and show where they went.';

  static override description = `Finds the LB through the registry; for each task asks it for a backend (GetServer), then calls that backend (ProcessTask).
On UNAVAILABLE or a deadline the task is retried on another backend (the failed one excluded), up to --retries times.
While the LB is down or restarting, tasks wait for it (pausing 50 ms, doubling to 1 s, and looking it up in the registry
again) without using retries; a task fails only after --lb-wait without a pick.
Progress goes to stderr; the distribution table (or --json) to stdout; the run is saved for \`lbx report\`.
Exits 1 when any task failed; 5 when a threshold (--max-p99, --max-error-rate, --min-throughput, --max-imbalance) is not met, which wins over 1. With neither --simple nor --heavy, sends ${DEFAULT_SIMPLE_WHEN_UNSPECIFIED} SIMPLE tasks.

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
    cluster: Flags.string({ description: 'The cluster\'s name in that registry: etcd keys live under /lbx/<name>/ (default: default).', dependsOn: ['registry-addr'] }),
    mode: Flags.string({
      description: 'With --registry-addr: how the LB was started, lookaside (default) or proxy. A local cluster\'s own mode is used otherwise.',
      options: ['lookaside', 'proxy'],
      dependsOn: ['registry-addr'],
    }),
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
    ...thresholdFlags,
  };

  async run(): Promise<SendJson> {
    const { flags } = await this.parse(Send);
    const simple = flags.simple ?? (flags.heavy === undefined ? DEFAULT_SIMPLE_WHEN_UNSPECIFIED : 0);
    const heavy = flags.heavy ?? 0;
    if (simple + heavy === 0) throw new LbxError('usage', 'nothing to send: --simple and --heavy are both 0; give at least one task');
    const lbWaitMs = parseLbWaitMs(flags['lb-wait']);
    const thresholds = thresholdsFromFlags(flags);
    if (flags.key !== undefined && flags.key.length > 256) throw new LbxError('usage', `--key is ${flags.key.length} characters: expected at most 256`);

    const { runSend } = await import('../runtime/client/send-run.js');
    const { saveRun, RUN_SCHEMA_VERSION } = await import('../runtime/cluster/run-store.js');
    const { askLbPolicy } = await import('../runtime/client/ask-lb-policy.js');

    const destination = flags['registry-addr'] === undefined ? await this.localCluster(flags.name) : await this.registryCluster(flags);
    const { lbAddress, mode } = destination;
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
      registry: destination.registry,
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
    // Through a proxy the client never sees a pick; the policy is the cluster's at send time (or the LB's own word).
    const policy = result.policy || destination.policy || (await askLbPolicy(lbAddress)) || 'unknown';
    const { withIdleBackends } = await import('../core/stats/run-ledger.js');
    const run: SavedRun = {
      schemaVersion: RUN_SCHEMA_VERSION,
      ...result,
      // Backends no request reached are in the figures too (share 0), or a skew would look even.
      summary: withIdleBackends(result.summary, destination.backendAddresses),
      policy,
      mode,
      request: { simple, heavy, concurrency: flags.concurrency, timeoutMs: flags.timeout },
    };
    if (destination.paths) await saveRun(destination.paths, run);
    const summary = run.summary;
    const line = `${summary.ok}/${summary.sent} ok (${mode} mode, policy ${policy}), ${summary.failed} failed`;
    if (summary.failed > 0) progress.fail(line);
    else progress.succeed(line);

    if (!flags.json) {
      this.log(renderRunDistribution(summary, { color: shouldColor(process.stdout, process.env) }));
      this.log('');
      this.log(renderRunTotals(summary));
      if (result.lbWaits > 0) this.log(`waited for the LB ${formatCount(result.lbWaits)} time${result.lbWaits === 1 ? '' : 's'} (it was unreachable or restarting; waits use no retries)`);
      if (!destination.paths) this.logToStderr(`note: run ${run.id} not saved: a cluster found through --registry-addr has no local directory (use --json to keep it)`);
    }
    if (summary.failed > 0) {
      process.exitCode = EXIT_CODES.runtime;
      if (!flags.json) this.logToStderr(`error: ${summary.failed} of ${summary.sent} tasks failed`);
    }
    // A failed threshold exits 5 even when tasks failed too: it is the gate the caller asked for, and CI tells it apart from a crash.
    const outcome = hasThresholds(thresholds) ? evaluateThresholds(thresholds, [{ summary, imbalance: computeImbalance(summary) }]) : undefined;
    if (outcome && !outcome.passed) {
      process.exitCode = EXIT_CODES.threshold;
      this.logToStderr(renderThresholds(outcome));
    } else if (outcome && !flags.json) {
      this.log(renderThresholds(outcome));
    }
    return { schema: 'lbx.send/v1', ...run, ...(outcome ? { thresholds: outcome } : {}) };
  }

  /** A cluster started here by `lbx up`: its registry and mode from its file; runs are saved in its directory. */
  private async localCluster(name: string): Promise<SendDestination> {
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { clusterPaths } = await import('../runtime/cluster/cluster-paths.js');
    const { resolveLbAddress } = await import('../runtime/client/resolve-lb.js');
    const cluster = await requireRunningCluster(name);
    const registry: RegistryConnection = { kind: cluster.spec.registry, address: cluster.registryAddress, cluster: cluster.name };
    // An LB that is restarting is not listed as passing: start with the cluster's LB address and wait for it.
    const lbAddress = await resolveLbAddress(registry).catch((error: unknown) => {
      this.logToStderr(`warning: ${error instanceof Error ? error.message : String(error)}; trying the cluster's LB at ${cluster.lbAddress} for up to --lb-wait`);
      return cluster.lbAddress;
    });
    const backendAddresses = cluster.components.filter((component) => component.role === 'backend' && component.state === 'ready').map((component) => component.address);
    return { registry, lbAddress, mode: cluster.spec.mode ?? 'lookaside', policy: cluster.spec.policy, paths: clusterPaths(name), backendAddresses };
  }

  /** A cluster known only to its registry (roles started by hand, maybe on other machines): the LB must be listed there now. */
  private async registryCluster(flags: { 'registry-addr'?: string; registry?: string; cluster?: string; mode?: string }): Promise<SendDestination> {
    const { DEFAULT_CLUSTER_NAME } = await import('../runtime/cluster/cluster-paths.js');
    const { resolveLbAddress } = await import('../runtime/client/resolve-lb.js');
    const registry = registryConnectionFromFlags({ registry: flags.registry ?? 'consul', 'registry-addr': flags['registry-addr'] ?? '', cluster: flags.cluster ?? DEFAULT_CLUSTER_NAME });
    const lbAddress = await resolveLbAddress(registry);
    return { registry, lbAddress, mode: flags.mode === 'proxy' ? 'proxy' : 'lookaside', backendAddresses: [] };
  }
}
