import { LbxCommand } from '../../cli/lbx-command.js';
import { registryRoleFlags, serveRegistry } from '../../cli/roles/registry-role.js';

export default class ServeRegistry extends LbxCommand {
  static override description = `Run the embedded registry: a single-machine server for the subset of Consul's HTTP API lbx uses.

It is not replicated and serves one machine (it warns when --host is not a loopback address); for several machines run a real Consul or etcd cluster.`;

  static override examples = ['<%= config.bin %> serve registry --port 7102'];

  static override flags = registryRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeRegistry);
    await serveRegistry(flags);
  }
}
