import { LbxCommand } from '../../cli/lbx-command.js';
import { lbRoleFlags, serveLb } from '../../cli/roles/lb-role.js';

export default class ServeLb extends LbxCommand {
  static override description = `Run the gRPC look-aside load balancer.

It registers as "lbx-lb" in the registry, learns backends by watching "lbx-backend" there (Consul blocking queries, or an etcd watch) and from RegisterServer calls, and answers GetServer with the active policy.

Run by hand (no \`lbx up\`) it joins a cluster through --registry consul|etcd --registry-addr HOST:PORT; without --token-file its state-changing calls are open, and it says so. SIGTERM deregisters it and stops it.`;

  static override examples = [
    '<%= config.bin %> serve lb --port 7100 --registry-addr 127.0.0.1:7102 --policy ll',
    '<%= config.bin %> serve lb --host 10.0.0.5 --port 7100 --registry etcd --registry-addr 10.0.0.2:2379 --cluster lab',
  ];

  static override flags = lbRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeLb);
    await serveLb(flags);
  }
}
