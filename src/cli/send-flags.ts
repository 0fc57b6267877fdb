// The flags of `lbx send`: where to send (a local cluster, or one found through --registry-addr), what, and how patiently.
import { Flags, type Interfaces } from '@oclif/core';

import { LbxError } from '../core/lbx-error.js';
import type { Thresholds } from '../core/thresholds.js';
import { MAX_LB_WAIT_MS } from '../runtime/client/lb-wait.js';
import { DEFAULT_LB_WAIT_MS, DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import { DEFAULT_CLUSTER_NAME } from '../runtime/cluster/cluster-paths.js';
import type { RegistryConnection, RegistryKind } from '../runtime/registry/create-registry.js';
import { clusterNameFlag, durationFlag, REGISTRY_KINDS, registryConnectionFromFlags, shareFlag } from './flags.js';
import { CLIENT_KINDS } from './send-client.js';
import { thresholdFlags, thresholdsFromFlags } from './threshold-flags.js';
import { workloadFlags, workloadFromFlags, type TaskWorkload } from './workload-flags.js';
import { LB_MODES } from '../runtime/lb/lb-mode.js';

const MAX_KEY_LENGTH = 256;

export const sendFlags = {
  name: clusterNameFlag,
  // No defaults on the --registry-addr flags: oclif's dependsOn would count a default as given.
  'registry-addr': Flags.string({
    description:
      'Send to a cluster found through this registry (host:port) instead of a local one: e.g. roles started with `lbx serve lb|backend` on other machines. The run is not saved.',
    helpValue: '<host:port>',
    exclusive: ['name'],
  }),
  registry: Flags.option({
    description: 'What the registry at --registry-addr is: consul (default; the embedded registry speaks the same API), embedded, or etcd.',
    options: REGISTRY_KINDS,
    dependsOn: ['registry-addr'],
  })(),
  cluster: Flags.string({ description: "The cluster's name in that registry: etcd keys live under /lbx/<name>/ (default: default).", dependsOn: ['registry-addr'] }),
  mode: Flags.option({
    description: "With --registry-addr: how the LB was started, lookaside (default) or proxy. A local cluster's own mode is used otherwise.",
    options: LB_MODES,
    dependsOn: ['registry-addr'],
  })(),
  client: Flags.option({
    description:
      "Who picks the backends: lbx (its look-aside picks, or the proxy) or xds (a stock gRPC client, @grpc/grpc-js-xds, following the LB's xDS control plane; no lbx pick code).",
    options: CLIENT_KINDS,
    default: 'lbx',
  })(),
  'task-transport': Flags.option({
    description:
      'How tasks travel to the backends in look-aside mode: stream (one ProcessTasks stream per backend, a message each way per task) or unary (a ProcessTask call per task, as stock clients and proxies do). Through a proxy it is always unary.',
    options: ['stream', 'unary'] as const,
    default: 'stream',
  })(),
  'pick-transport': Flags.option({
    description:
      "How lbx asks the LB for picks in look-aside mode: socket (the LB's pick socket on its own port: a bare TCP exchange, a frame each way per turn of batched picks; the default, falling back to stream against an LB without one), stream (GetServerBatchStream over gRPC) or unary (a GetServer call per task).",
    options: ['socket', 'stream', 'unary'] as const,
    default: 'socket',
  })(),
  workers: Flags.integer({
    description:
      "Worker threads that share the tasks, each with its own connections and its share of --concurrency (where a core is idle, lbx send's own CPU stops being the limit). The plan and the accounting are the same as with one.",
    min: 1,
    max: 16,
    default: 1,
  }),
  'xds-addr': Flags.string({ description: "With --client xds: the LB's xDS address (default: the LB's host and base+107, as lbx up lays it out).", helpValue: '<host:port>' }),
  ...workloadFlags(''),
  timeout: durationFlag({ description: 'Deadline of each call to a backend (500ms, 5s; a bare number is ms).', minMs: 1, maxMs: 600_000, defaultMs: DEFAULT_TIMEOUT_MS }),
  retries: Flags.integer({ description: 'Retries per task after a retryable failure, each on another backend.', min: 0, max: 10, default: DEFAULT_RETRIES }),
  'max-attempts': Flags.integer({
    description: 'Attempts per task in all, the first included (the same as --retries N-1; gRPC names it so).',
    min: 1,
    max: 11,
    exclusive: ['retries'],
  }),
  hedge: durationFlag({
    description:
      "Hedging (gRPC A6): when a task's attempt has not answered within this delay, send another to a different backend (up to --max-attempts in all); the first answer counts, the others are cancelled. lbx client only.",
    minMs: 1,
    maxMs: 60_000,
  }),
  'retry-budget': shareFlag({
    description:
      "Retries in flight at most this share of the tasks in flight, and at least 3 (Envoy's retry budget, e.g. 20%): a sick backend cannot multiply the load. A retry refused ends its task failed, naming the budget. Default: no budget (--retries alone).",
    helpValue: '<share>',
    what: 'a share',
    example: 0.2,
  }),
  key: Flags.string({ description: 'Affinity key sent with every task (for key-based policies).', exclusive: ['keys'] }),
  keys: Flags.integer({ description: 'Cycle through this many distinct keys ("key-0", "key-1", …), one per task in turn (for consistent hashing).', min: 1, max: 10_000_000 }),
  'lb-wait': durationFlag({
    description: 'How long a task waits for an LB that is down or restarting before it fails (500ms, 10s, 1m); 0 fails at once.',
    minMs: 0,
    maxMs: MAX_LB_WAIT_MS,
    defaultMs: DEFAULT_LB_WAIT_MS,
  }),
  ...thresholdFlags,
};

/** What a send runs: the workload shared with bench, and send's own --lb-wait and --key. */
export interface SendWorkload extends TaskWorkload {
  readonly lbWaitMs: number;
  readonly retryBudget?: number;
  readonly hedgeDelayMs?: number;
  readonly key?: string;
  readonly taskTransport?: 'stream' | 'unary';
  readonly workers?: number;
}

/** The parsed flags checked, in the order their usage errors are reported: the tasks, the thresholds, --key, the registry. */
export function parseSendFlags(flags: Interfaces.InferredFlags<typeof sendFlags>): { workload: SendWorkload; thresholds: Thresholds; registry?: RegistryConnection } {
  const retries = flags['max-attempts'] === undefined ? flags.retries : flags['max-attempts'] - 1;
  const workload = workloadFromFlags(flags, { timeoutMs: flags.timeout, retries });
  if (flags.hedge !== undefined && flags.client !== 'lbx')
    throw new LbxError('usage', `--hedge works with --client lbx only (got --client ${flags.client}): a stock client hedges only by its own service config`);
  if (flags.workers > 1 && flags.client !== 'lbx')
    throw new LbxError('usage', `--workers works with --client lbx only (got --client ${flags.client}): the stock client runs in one thread`);
  if (flags.workers > workload.concurrency) {
    throw new LbxError('usage', `--workers ${flags.workers} is more than --concurrency ${workload.concurrency}: each worker needs at least one task in flight`, [
      `use --workers ${Math.max(1, Math.min(16, workload.concurrency))} or raise --concurrency`,
    ]);
  }
  const thresholds = thresholdsFromFlags(flags);
  checkKey(flags.key);
  const registry = remoteRegistry(flags);
  const extras = {
    ...(flags.key === undefined ? {} : { key: flags.key }),
    ...(flags['retry-budget'] === undefined ? {} : { retryBudget: flags['retry-budget'] }),
    ...(flags.hedge === undefined ? {} : { hedgeDelayMs: flags.hedge }),
    ...(flags['task-transport'] === 'unary' ? { taskTransport: 'unary' as const } : {}),
    ...(flags['pick-transport'] === 'socket' ? {} : { pickTransport: flags['pick-transport'] }),
    ...(flags.workers > 1 ? { workers: flags.workers } : {}),
  };
  return { workload: { ...workload, lbWaitMs: flags['lb-wait'], ...extras }, thresholds, ...(registry ? { registry } : {}) };
}

/** The registry named by --registry-addr (and --registry, --cluster); undefined for a local cluster. */
function remoteRegistry(flags: { 'registry-addr'?: string; registry?: RegistryKind; cluster?: string }): RegistryConnection | undefined {
  if (flags['registry-addr'] === undefined) return undefined;
  return registryConnectionFromFlags({ registry: flags.registry ?? 'consul', 'registry-addr': flags['registry-addr'], cluster: flags.cluster ?? DEFAULT_CLUSTER_NAME });
}

/** --key is sent with every task: bounded, so a typo cannot put megabytes on every call. */
function checkKey(key: string | undefined): void {
  if (key !== undefined && key.length > MAX_KEY_LENGTH) throw new LbxError('usage', `--key is ${key.length} characters: expected at most ${MAX_KEY_LENGTH}`);
}
