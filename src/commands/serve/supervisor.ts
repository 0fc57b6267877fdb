import { LbxCommand } from '../../cli/lbx-command.js';
import { supervisorRoleFlags, serveSupervisor } from '../../cli/roles/supervisor-role.js';

export default class ServeSupervisor extends LbxCommand {
  static override description = 'Run a cluster supervisor (started by `lbx up`; not meant to be run by hand).';
  static override hidden = true;

  static override flags = supervisorRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeSupervisor);
    await serveSupervisor(flags);
  }
}
