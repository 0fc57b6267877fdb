import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { liveFlags } from '../cli/live/live-flags.js';
import type { LiveViewResult } from '../cli/live/run-live-view.js';

export default class Top extends LbxCommand {
  static override summary = "Watch a cluster live: per backend load, requests per second, share, health and ejection; the policy and the LB's picks per second.";

  static override description = `Refreshed every second (--interval). On a terminal it takes the whole screen and quits on q or Ctrl-C, leaving the terminal as it was.

When stdout is not a terminal it prints one plain line per backend per refresh (time, backend, address, then key=value figures with the policy and the LB's picks per second), until Ctrl-C, SIGTERM or --count refreshes.

REQ/S and WINDOW count what each backend served since the previous refresh; OVERALL is its share of all the listed backends served. With --json, the snapshots are printed as one JSON document at the end.`;

  static override examples = ['<%= config.bin %> top', '<%= config.bin %> top --interval 500', '<%= config.bin %> top --count 5 | grep backend-7001'];

  static override flags = { name: clusterNameFlag, ...liveFlags };

  async run(): Promise<LiveViewResult> {
    const { flags } = await this.parse(Top);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { runLiveView } = await import('../cli/live/run-live-view.js');
    const cluster = await requireRunningCluster(flags.name);
    return runLiveView(cluster, { intervalMs: flags.interval, count: flags.count, title: 'lbx top', json: this.jsonEnabled() });
  }
}
