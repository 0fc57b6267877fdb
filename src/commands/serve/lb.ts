import { LbxCommand } from '../../cli/lbx-command.js';
import { lbRoleFlags, serveLb } from '../../cli/roles/lb-role.js';

export default class ServeLb extends LbxCommand {
  static override description = `Run the gRPC look-aside load balancer.

It registers as "lbx-lb" in the registry, learns backends by watching "lbx-backend" there (blocking queries) and from RegisterServer calls, and answers GetServer with the active policy.`;

  static override examples = ['<%= config.bin %> serve lb --port 7100 --registry-addr 127.0.0.1:7102 --policy ll'];

  static override flags = lbRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeLb);
    await serveLb(flags);
  }
}
