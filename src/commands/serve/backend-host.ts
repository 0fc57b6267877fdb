import { LbxCommand } from '../../cli/lbx-command.js';
import { backendHostRoleFlags, serveBackendHost } from '../../cli/roles/backend-host-role.js';

export default class ServeBackendHost extends LbxCommand {
  static override description =
    'Serve several backends in one process, each in its own worker thread with its own port and event loop (started by `lbx up --backend-processes K`; the supervisor tells it which).';
  static override hidden = true;

  static override flags = backendHostRoleFlags;

  async run(): Promise<void> {
    await this.parse(ServeBackendHost);
    await serveBackendHost();
  }
}
