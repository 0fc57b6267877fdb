// `lbx chaos` on a running cluster: its control API, real time, seeded choices, Ctrl-C or SIGTERM to end early, and the actions counted.
import { setTimeout as sleep } from 'node:timers/promises';

import { seededRandom } from '../../core/random/seeded-random.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ControlClient } from '../cluster/control-client.js';
import { runChaos } from './chaos-loop.js';
import type { ChaosAction, ChaosTarget } from './chaos-types.js';
import type { ChaosKind } from '../../core/faults/chaos-faults.js';
import { ClusterFaults } from '../cluster/cluster-faults.js';
import { ClusterNetFaults, hasNetns } from '../netns/cluster-net-faults.js';
import type { ChaosFaults } from './chaos-types.js';

/** What `chaos --json` prints: counts by kind, and every action in order. */
export interface ChaosResult {
  readonly cluster: string;
  readonly seed: number;
  readonly killed: number;
  readonly started: number;
  readonly skipped: number;
  readonly failed: number;
  /** Gray failures set (chaos --kinds latency,errors,hang,slow). */
  readonly faulted: number;
  readonly actions: readonly ChaosAction[];
}

export interface ClusterChaosOptions {
  readonly targets: readonly ChaosTarget[];
  readonly kinds: readonly ChaosKind[];
  readonly intervalMs: number;
  readonly durationMs: number;
  readonly signal: 'SIGKILL' | 'SIGTERM';
  readonly seed: number;
  /** Deadline of starting a killed backend again. */
  readonly startTimeoutMs: number;
  readonly onAction: (action: ChaosAction) => void;
}

/** The backends' own faults, and with --netns the supervisor's network faults (partition). */
function chaosFaults(cluster: ClusterFile): ChaosFaults {
  const faults = new ClusterFaults(cluster);
  const netFaults = hasNetns(cluster) ? new ClusterNetFaults(cluster) : undefined;
  return {
    set: (port, fault) => faults.set(port, fault),
    ...(netFaults === undefined ? {} : { setNet: (port: number, fault: Parameters<ClusterNetFaults['set']>[1]) => netFaults.set(port, fault) }),
  };
}

/** Runs chaos on `cluster` until its duration is up or a SIGINT/SIGTERM ends it; killed backends are started again unless the supervisor respawns them. */
export async function runClusterChaos(cluster: ClusterFile, options: ClusterChaosOptions): Promise<ChaosResult> {
  const control = new ControlClient(cluster);
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const status = await control.status();
    const actions = await runChaos(control, {
      targets: options.targets,
      kinds: options.kinds,
      ...(options.kinds.some((kind) => kind !== 'kill') ? { faults: chaosFaults(cluster) } : {}),
      intervalMs: options.intervalMs,
      durationMs: options.durationMs,
      signal: options.signal,
      revive: !status.respawn,
      startTimeoutMs: options.startTimeoutMs,
      random: seededRandom(options.seed),
      nowMs: () => performance.now(),
      sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
      abort: abort.signal,
      onAction: options.onAction,
    });
    const count = (kind: ChaosAction['kind']): number => actions.filter((action) => action.kind === kind).length;
    return {
      cluster: cluster.name,
      seed: options.seed,
      killed: count('killed'),
      started: count('started'),
      skipped: count('skipped'),
      failed: count('failed'),
      faulted: count('faulted'),
      actions,
    };
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    control.close();
  }
}
