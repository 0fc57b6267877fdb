import { LbxCommand } from '../../cli/lbx-command.js';
import { backendHostRoleFlags, serveBackendHost } from '../../cli/roles/backend-host-role.js';

export default class ServeBackendHost extends LbxCommand {
  static override description =
    'Serve several backends in one process, in worker threads of one or a few backends each, every backend with its own port (started by `lbx up --backend-processes K`; the supervisor tells it which).';
  static override hidden = true;

  static override flags = backendHostRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeBackendHost);
    await serveBackendHost(flags);
  }
}
