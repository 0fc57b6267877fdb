import { Flags } from '@oclif/core';

import { changeTimeoutMs } from '../cli/backend-change.js';
import { clusterNameFlag, durationFlag, killSignalFlag, randomSeed, seedFlag } from '../cli/flags.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { describeChaosAction, describeChaosEnd, describeChaosPlan } from '../cli/render-chaos.js';
import { CHAOS_TARGETS } from '../runtime/chaos/chaos-types.js';
import { CHAOS_KINDS, parseChaosKinds, type ChaosKind } from '../core/faults/chaos-faults.js';
import { LbxError } from '../core/lbx-error.js';
import type { ChaosResult } from '../runtime/chaos/cluster-chaos.js';

export type { ChaosResult } from '../runtime/chaos/cluster-chaos.js';

export default class Chaos extends LbxCommand {
  static override summary = 'Kill a random backend (or the LB, or the registry) every interval, for a bounded time.';

  static override description = `For demos and CI: run it beside \`lbx send\` and check that no request fails.

One action per tick, on time: ticks a slow round overran are dropped, never fired together. The last ready backend is never killed, and one backend is down at a time: a tick whose last victim is not serving again yet is skipped. Killed backends are started again from the next round on (and at the end), unless the cluster runs with --respawn, where the supervisor does it; the LB and the registry are always restarted by the supervisor, at once.`;

  static override examples = [
    '<%= config.bin %> chaos --duration 20s --interval 1s',
    '<%= config.bin %> chaos --target backend --target lb --seed 7',
    '<%= config.bin %> chaos --kinds kill,latency,errors,hang,slow --interval 2s   # gray failures too',
    '<%= config.bin %> chaos --kinds kill,latency,errors,hang,slow,partition --seed 7   # partition: lbx up --netns clusters',
    '<%= config.bin %> send --simple 50000 & <%= config.bin %> chaos --duration 10s',
  ];

  static override flags = {
    name: clusterNameFlag,
    interval: durationFlag({ char: 'i', description: 'Time between kills (100ms–10m).', minMs: 100, maxMs: 600_000, defaultMs: 1_000 }),
    duration: durationFlag({ char: 'd', description: 'How long chaos runs (1ms–1h).', minMs: 1, maxMs: 3_600_000, defaultMs: 20_000 }),
    target: Flags.option({
      char: 't',
      description: 'What may be killed; repeat for several (one is drawn each round).',
      options: CHAOS_TARGETS,
      multiple: true,
      default: ['backend' as const],
    })(),
    kinds: Flags.custom<readonly ChaosKind[]>({
      description: `What a tick may do, one drawn per tick: ${CHAOS_KINDS.join(', ')} (a gray failure, or with partition a cut veth, on a random backend, clearing itself after two ticks; all cleared at the end). partition needs a cluster started with lbx up --netns.`,
      helpValue: '<kind,…>',
      default: ['kill'],
      parse: async (input) => {
        const parsed = parseChaosKinds(input);
        if (!parsed.ok) throw new LbxError('usage', parsed.message);
        return parsed.kinds;
      },
    })(),
    signal: killSignalFlag,
    seed: seedFlag('Seed of the random choices; default: random, printed.'),
  };

  async run(): Promise<ChaosResult> {
    const { flags } = await this.parse(Chaos);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { runClusterChaos } = await import('../runtime/chaos/cluster-chaos.js');
    const cluster = await requireRunningCluster(flags.name);
    if (flags.kinds.includes('partition')) (await import('../runtime/netns/cluster-net-faults.js')).requireNetns(cluster, ['--kinds partition']);
    const plan = { targets: [...new Set(flags.target)], kinds: flags.kinds, intervalMs: flags.interval, durationMs: flags.duration, seed: flags.seed ?? randomSeed() };
    if (!flags.json) this.log(describeChaosPlan(cluster.name, plan));
    const result = await runClusterChaos(cluster, {
      ...plan,
      signal: flags.signal,
      startTimeoutMs: changeTimeoutMs(cluster),
      onAction: (action) => {
        if (!flags.json) this.log(describeChaosAction(action));
      },
    });
    if (!flags.json) this.log(describeChaosEnd(result));
    return result;
  }
}
