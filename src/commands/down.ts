import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { startProgress } from '../cli/spinner.js';

export interface DownResult {
  readonly name: string;
  /** stopped: a running cluster was stopped · cleaned: state without a live supervisor was removed · none: nothing was there. */
  readonly outcome: 'stopped' | 'cleaned' | 'none';
  readonly stoppedMs: number;
}

export default class Down extends LbxCommand {
  static override summary = 'Stop a cluster: LB, backends, then the registry; remove its state. Safe to run twice.';

  static override description = `Each component gets SIGTERM (backends finish in-flight tasks), then SIGKILL after a grace period.

With no cluster running it does nothing and exits 0; a stale cluster (its supervisor gone) is cleaned up.

A cluster whose state file is damaged or missing is still stopped: its supervisor is found through its identity file, its control port or its command line.`;

  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --name lab2 --json'];

  static override flags = { name: clusterNameFlag };

  async run(): Promise<DownResult> {
    const { flags } = await this.parse(Down);
    const { stopCluster } = await import('../runtime/supervisor/stop-cluster.js');
    const progress = await startProgress(`stopping cluster "${flags.name}"`, { quiet: flags.json });
    const result = await stopCluster(flags.name).catch((error: unknown) => {
      progress.fail(`cluster "${flags.name}" could not be stopped`);
      throw error;
    });
    const leftovers = result.killedPids.length ? `; ended leftover pids ${result.killedPids.join(', ')}` : '';
    if (result.outcome === 'none') {
      progress.stop();
      if (!flags.json) this.log(`no cluster "${flags.name}" is running; nothing to stop`);
    } else if (result.outcome === 'cleaned') {
      progress.stop();
      if (!flags.json) this.log(`removed stale cluster "${flags.name}" (${result.detail}${leftovers})`);
    } else {
      const how = [result.detail, result.forced ? 'it did not stop when asked and was killed' : ''].filter(Boolean).join('; ');
      progress.succeed(`cluster "${flags.name}" stopped in ${result.stoppedMs} ms${how ? ` (${how}${leftovers})` : ''}`);
    }
    return { name: flags.name, outcome: result.outcome, stoppedMs: result.stoppedMs };
  }
}
