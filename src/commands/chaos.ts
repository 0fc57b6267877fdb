import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag, durationFlag, killSignalFlag } from '../cli/flags.js';
import { changeTimeoutMs } from '../cli/backend-change.js';
import type { ChaosAction } from '../runtime/chaos/chaos-types.js';

const TARGETS = ['backend', 'lb', 'registry'] as const;

/** What `chaos --json` prints: counts by kind, and every action in order. */
export interface ChaosResult {
  readonly cluster: string;
  readonly seed: number;
  readonly killed: number;
  readonly started: number;
  readonly skipped: number;
  readonly failed: number;
  readonly actions: readonly ChaosAction[];
}

export default class Chaos extends LbxCommand {
  static override summary = 'Kill a random backend (or the LB, or the registry) every interval, for a bounded time.';

  static override description = `For demos and CI: run it beside \`lbx send\` and check that no request fails.

One action per tick, on time: ticks a slow round overran are dropped, never fired together. The last ready backend is never killed, and one backend is down at a time: a tick whose last victim is not serving again yet is skipped. Killed backends are started again from the next round on (and at the end), unless the cluster runs with --respawn, where the supervisor does it; the LB and the registry are always restarted by the supervisor, at once.`;

  static override examples = [
    '<%= config.bin %> chaos --duration 20s --interval 1s',
    '<%= config.bin %> chaos --target backend --target lb --seed 7',
    '<%= config.bin %> send --simple 50000 & <%= config.bin %> chaos --duration 10s',
  ];

  static override flags = {
    name: clusterNameFlag,
    interval: durationFlag({ char: 'i', description: 'Time between kills (100ms–10m).', minMs: 100, maxMs: 600_000, defaultMs: 1_000 }),
    duration: durationFlag({ char: 'd', description: 'How long chaos runs (1ms–1h).', minMs: 1, maxMs: 3_600_000, defaultMs: 20_000 }),
    target: Flags.option({
      char: 't',
      description: 'What may be killed; repeat for several (one is drawn each round).',
      options: TARGETS,
      multiple: true,
      default: ['backend' as const],
    })(),
    signal: killSignalFlag,
    seed: Flags.integer({ description: 'Seed of the random choices; default: random, printed.', min: 0, max: 4_294_967_295 }),
  };

  async run(): Promise<ChaosResult> {
    const { flags } = await this.parse(Chaos);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const { runChaos } = await import('../runtime/chaos/chaos-loop.js');
    const { seededRandom } = await import('../core/random/seeded-random.js');
    const { setTimeout: sleep } = await import('node:timers/promises');
    const cluster = await requireRunningCluster(flags.name);
    const seed = flags.seed ?? Math.floor(Math.random() * 4_294_967_296);
    const targets = [...new Set(flags.target)];
    const control = new ControlClient(cluster);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (!flags.json) this.log(`chaos on cluster "${cluster.name}": ${targets.join('/')} every ${flags.interval} ms for ${flags.duration} ms (seed ${seed})`);
    try {
      const status = await control.status();
      const actions = await runChaos(control, {
        targets,
        intervalMs: flags.interval,
        durationMs: flags.duration,
        signal: flags.signal,
        revive: !status.respawn,
        startTimeoutMs: changeTimeoutMs(cluster),
        random: seededRandom(seed),
        nowMs: () => performance.now(),
        sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
        abort: abort.signal,
        onAction: (action) => {
          if (!flags.json) this.log(`+${(action.atMs / 1_000).toFixed(2)}s  ${action.kind.padEnd(7)} ${action.component.padEnd(14)} ${action.detail}`);
        },
      });
      const count = (kind: string): number => actions.filter((action) => action.kind === kind).length;
      if (!flags.json) this.log(`chaos done: ${count('killed')} killed, ${count('started')} started again, ${count('skipped')} skipped, ${count('failed')} failed`);
      return { cluster: cluster.name, seed, killed: count('killed'), started: count('started'), skipped: count('skipped'), failed: count('failed'), actions };
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      control.close();
    }
  }
}
