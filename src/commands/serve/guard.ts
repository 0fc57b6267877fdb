import { Args } from '@oclif/core';

import { LbxCommand } from '../../cli/lbx-command.js';
import { clusterDirFlag } from '../../cli/flags.js';
import { logLine, runForever } from '../../cli/role-log.js';

export default class ServeGuard extends LbxCommand {
  static override description = 'Run a foreign program (consul) under supervision: it is stopped when the supervisor goes away.';
  static override hidden = true;
  static override strict = false;

  static override args = { command: Args.string({ description: 'Program and its arguments, after --.', required: true }) };
  static override flags = { 'cluster-dir': clusterDirFlag };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(ServeGuard);
    await ServeGuard.serve(flags, argv as string[]);
  }

  /** Runs the role with parsed flags; also the entry of the lean start path (src/cli/role-entry.ts). */
  static async serve(_flags: unknown, argv: readonly string[]): Promise<void> {
    const [file, ...args] = argv;
    const { execa } = await import('execa');
    const { stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
    logLine(`starting ${[file, ...args].join(' ')}`);
    // Same process group as this guard, so the supervisor's group signals reach the program too.
    const child = execa(file as string, args, { stdio: 'inherit', reject: false, cleanup: true });
    stopOnSignalOrOrphan(async () => {
      child.kill('SIGTERM');
      await child;
    }, 5_000);
    const result = await child;
    logLine(`${file} exited (${result.signal ? `signal ${result.signal}` : `code ${result.exitCode}`})`);
    process.exit(result.exitCode ?? 1);
    await runForever();
  }
}
