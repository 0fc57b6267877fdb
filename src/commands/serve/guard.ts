import { LbxCommand } from '../../cli/lbx-command.js';
import { splitAtDoubleDash } from '../../cli/role-entry.js';
import { guardRoleFlags, serveGuard } from '../../cli/roles/guard-role.js';

export default class ServeGuard extends LbxCommand {
  static override description =
    'Run a foreign program (consul) under supervision: it is stopped when the supervisor goes away. Usage: lbx serve guard [--cluster-dir DIR] -- PROGRAM ARGS…';
  static override hidden = true;

  static override flags = guardRoleFlags;

  async run(): Promise<void> {
    const { own, program } = splitAtDoubleDash(this.argv);
    const { flags } = await this.parse(ServeGuard, own);
    await serveGuard(flags, program);
  }
}
