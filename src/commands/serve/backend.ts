import { LbxCommand } from '../../cli/lbx-command.js';
import { backendRoleFlags, serveBackend } from '../../cli/roles/backend-role.js';

export default class ServeBackend extends LbxCommand {
  static override description = `Run one gRPC backend (lbx.v1.Backend).

It listens first, then registers in the registry ("lbx-backend": a TCP check with Consul, a key on a 2 s lease it keeps alive with etcd) and with the LB (found through the registry unless --lb-addr), reports its load every interval, and on SIGTERM deregisters, finishes in-flight tasks and exits.`;

  static override examples = [
    '<%= config.bin %> serve backend --port 7001 --registry-addr 127.0.0.1:7102',
    '<%= config.bin %> serve backend --host 10.0.0.6 --port 7001 --registry etcd --registry-addr 10.0.0.2:2379 --cluster lab',
  ];

  static override flags = backendRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeBackend);
    await serveBackend(flags);
  }
}
