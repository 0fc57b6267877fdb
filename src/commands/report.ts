import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterNameFlag } from '../cli/flags.js';
import { htmlFileFlag } from '../cli/html/html-flag.js';
import { liveFlags, watchFlag } from '../cli/live/live-flags.js';
import type { LiveViewResult } from '../cli/live/run-live-view.js';
import { shouldColor } from '../cli/bars.js';
import { renderReport } from '../cli/render-report.js';
import { LbxError } from '../core/lbx-error.js';
import type { ClusterReport } from '../runtime/cluster/collect-report.js';

export default class Report extends LbxCommand {
  static override summary = 'Show where requests went: per backend as the backends, the LB and the clients saw it, and the last send runs.';

  static override description = `SERVED is what each backend says it served (asked live); LB ASSIGNED is what the LB handed out; CLIENT OK is what saved \`lbx send\` runs got back.

The reconciliation line says whether client and backend counts agree. The xDS section is the plan the LB last pushed to stock gRPC clients (version, why, what the policy became, each endpoint's weight and health) and how many are connected; it says "unavailable" when the LB does not answer.`;

  static override examples = ['<%= config.bin %> report', '<%= config.bin %> report --wide', '<%= config.bin %> report --json', '<%= config.bin %> report --html report.html'];

  static override flags = {
    name: clusterNameFlag,
    wide: Flags.boolean({
      description: "Every column (speed, weight, LB view, join and leave times, SIMPLE/HEAVY, each run's split); without it the tables fit 100 columns.",
      default: false,
    }),
    watch: watchFlag,
    ...liveFlags,
    html: htmlFileFlag,
  };

  async run(): Promise<LiveViewResult | (ClusterReport & { readonly schema: 'lbx.report/v1' })> {
    const { flags } = await this.parse(Report);
    if (flags.html !== undefined && flags.html.trim() === '') throw new LbxError('usage', '--html needs a file name: got an empty string', ['e.g. lbx report --html report.html']);
    const { requireRunningCluster } = await import('../runtime/cluster/cluster-lookup.js');
    const { clusterPaths } = await import('../runtime/cluster/cluster-paths.js');
    const { collectReport } = await import('../runtime/cluster/collect-report.js');
    const cluster = await requireRunningCluster(flags.name);
    if (flags.watch) {
      const { runLiveView } = await import('../cli/live/run-live-view.js');
      return runLiveView(cluster, { intervalMs: flags.interval, count: flags.count, title: 'lbx report --watch', json: this.jsonEnabled() });
    }
    const report = await collectReport(cluster, clusterPaths(flags.name));
    if (!flags.json) this.log(renderReport(report, { color: shouldColor(process.stdout, process.env), wide: flags.wide }));
    if (flags.html !== undefined) {
      const { writeReportHtml } = await import('../cli/html/write-report-html.js');
      this.logToStderr(`wrote ${await writeReportHtml(flags.html, report)}`);
    }
    return { schema: 'lbx.report/v1', ...report };
  }
}
