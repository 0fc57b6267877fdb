import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { startProgress } from '../cli/spinner.js';

export interface DownResult {
  readonly name: string;
  /** stopped: a running cluster was stopped · cleaned: a stale one was removed · none: nothing was there. */
  readonly outcome: 'stopped' | 'cleaned' | 'none';
  readonly stoppedMs: number;
}

/** How long `down` waits for the supervisor to finish stopping everything before forcing it. */
const SUPERVISOR_EXIT_TIMEOUT_MS = 20_000;
/** How long `down` waits for a cluster that another `lbx up` is starting to settle. */
const STARTING_SETTLE_TIMEOUT_MS = 30_000;

export default class Down extends LbxCommand {
  static override summary = 'Stop a cluster: LB, backends, then the registry; remove its state. Safe to run twice.';

  static override description = `Each component gets SIGTERM (backends finish in-flight tasks), then SIGKILL after a grace period.
With no cluster running it does nothing and exits 0; a stale cluster (its supervisor gone) is cleaned up.`;

  static override examples = ['<%= config.bin %> down', '<%= config.bin %> down --name lab2 --json'];

  static override flags = { name: clusterNameFlag };

  async run(): Promise<DownResult> {
    const { flags } = await this.parse(Down);
    const { lookupCluster, cleanStaleCluster, supervisorMarkers } = await import('../runtime/cluster/cluster-lookup.js');
    const { ControlClient } = await import('../runtime/cluster/control-client.js');
    const { isOurProcess, signalProcess } = await import('../runtime/process/pid-probe.js');
    const { waitFor } = await import('../runtime/process/wait-for.js');
    const startedAt = performance.now();
    const elapsed = (): number => Math.round(performance.now() - startedAt);

    let lookup = await lookupCluster(flags.name);
    if (lookup.kind === 'starting') {
      // An `up` is bringing it up right now: wait for it to settle, then stop what it started.
      lookup = await waitFor(
        async () => {
          const next = await lookupCluster(flags.name);
          return next.kind === 'starting' ? undefined : next;
        },
        { description: `cluster "${flags.name}" (being started)`, timeoutMs: STARTING_SETTLE_TIMEOUT_MS, intervalMs: 100 },
      );
    }
    if (lookup.kind === 'none') {
      if (!flags.json) this.log(`no cluster "${flags.name}" is running; nothing to stop`);
      return { name: flags.name, outcome: 'none', stoppedMs: elapsed() };
    }
    if (lookup.kind === 'stale') {
      const killed = await cleanStaleCluster(lookup);
      if (!flags.json) this.log(`removed stale cluster "${flags.name}" (${lookup.reason}${killed.length ? `; ended leftover pids ${killed.join(', ')}` : ''})`);
      return { name: flags.name, outcome: 'cleaned', stoppedMs: elapsed() };
    }

    const progress = await startProgress(`stopping cluster "${flags.name}"`, { quiet: flags.json });
    const control = new ControlClient(lookup.file);
    const pid = lookup.file.supervisorPid;
    const markers = supervisorMarkers(lookup.paths);
    try {
      await control.shutdown();
      await waitFor(async () => (isOurProcess(pid, markers) ? undefined : true), {
        description: `supervisor ${pid} exit`,
        timeoutMs: SUPERVISOR_EXIT_TIMEOUT_MS,
      });
    } catch {
      // The supervisor is wedged or gone: end it (it is ours, verified by its argv); its children follow it.
      if (isOurProcess(pid, markers)) signalProcess(pid, 'SIGKILL');
      await cleanStaleCluster({ kind: 'stale', paths: lookup.paths, file: lookup.file, reason: 'forced' });
    } finally {
      control.close();
    }
    progress.succeed(`cluster "${flags.name}" stopped in ${elapsed()} ms`);
    return { name: flags.name, outcome: 'stopped', stoppedMs: elapsed() };
  }
}
