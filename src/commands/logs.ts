import { Args, Flags } from '@oclif/core';

import { clusterNameFlag } from '../cli/flags.js';
import { LbxCommand } from '../cli/lbx-command.js';
import { LbxError } from '../core/lbx-error.js';
import type { LogLine } from '../runtime/logs/log-multiplex.js';

const DEFAULT_TAIL_LINES = 20;

export interface LogsResult {
  readonly name: string;
  readonly components: readonly string[];
  readonly lines: readonly LogLine[];
}

export default class Logs extends LbxCommand {
  static override summary = "Show the components' logs, multiplexed with aligned name prefixes; -f follows them.";

  static override description = `Reads $LBX_HOME/<name>/logs/*.log: the supervisor, the registry, the LB and every backend. Lines are ordered by their ISO time stamps (a line without one stays after the line before it in its file).

COMPONENT filters: supervisor, registry, lb, a backend by name (backend-7001), or "backend" for every backend.

-f follows until Ctrl-C or SIGTERM (or until the cluster's directory goes away), and picks up backends added later.

The logs live in the cluster's state directory, which \`lbx down\` removes: a stopped cluster has none (exit 3).`;

  static override examples = [
    '<%= config.bin %> logs',
    '<%= config.bin %> logs backend-7001 -n 50',
    '<%= config.bin %> logs backend -f',
    '<%= config.bin %> logs lb --name lab2 --json',
  ];

  static override args = {
    component: Args.string({ description: 'Only this component: supervisor, registry, lb, backend-<port>, or "backend" for every backend.' }),
  };

  static override flags = {
    name: clusterNameFlag,
    follow: Flags.boolean({ char: 'f', description: 'Keep printing lines as they are written, until Ctrl-C or SIGTERM.', default: false }),
    lines: Flags.integer({ char: 'n', description: 'Last lines to show per component (0: none, only what follows).', default: DEFAULT_TAIL_LINES, min: 0 }),
  };

  async run(): Promise<LogsResult> {
    const { args, flags } = await this.parse(Logs);
    if (flags.follow && this.jsonEnabled()) throw new LbxError('usage', '--follow prints lines as they come and has no --json; drop one of them');
    const { readClusterLogTails } = await import('../runtime/logs/cluster-log-tails.js');
    const { formatLogLine } = await import('../runtime/logs/log-multiplex.js');
    const { paths, shown, select, lines, offsets, width: shownWidth } = await readClusterLogTails(flags.name, args.component, flags.lines);
    let width = shownWidth;
    const print = (batch: readonly LogLine[]): void => {
      if (batch.length > 0) process.stdout.write(batch.map((line) => `${formatLogLine(line, width)}\n`).join(''));
    };
    if (!this.jsonEnabled()) print(lines);

    if (flags.follow) {
      const { followLogsUntilSignal } = await import('../runtime/logs/log-follower.js');
      const onComponent = (component: string): void => {
        width = Math.max(width, component.length);
      };
      const end = await followLogsUntilSignal({ logsDir: paths.logsDir, select, offsets, onLines: print, onComponent });
      if (end === 'gone') process.stderr.write(`cluster "${flags.name}" stopped: its log directory ${paths.logsDir} is gone\n`);
    }
    return { name: flags.name, components: shown, lines };
  }
}
