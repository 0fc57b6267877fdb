import { Args } from '@oclif/core';

import { LbxCommand } from '../../cli/lbx-command.js';
import { guardRoleFlags, serveGuard } from '../../cli/roles/guard-role.js';

export default class ServeGuard extends LbxCommand {
  static override description = 'Run a foreign program (consul) under supervision: it is stopped when the supervisor goes away.';
  static override hidden = true;
  static override strict = false;

  static override args = { command: Args.string({ description: 'Program and its arguments, after --.', required: true }) };
  static override flags = guardRoleFlags;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(ServeGuard);
    await serveGuard(flags, argv as string[]);
  }
}
