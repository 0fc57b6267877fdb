import { LbxCommand } from '../../cli/lbx-command.js';
import { dataPlaneRoleFlags, serveDataPlane } from '../../cli/roles/dataplane-role.js';

export default class ServeDataPlane extends LbxCommand {
  static override description = `Run HAProxy or NGINX as a proxy-mode cluster's data plane (lbx up --mode proxy --proxy haproxy|nginx starts it for you).

Its config, pid file and (HAProxy) runtime-API socket live under --cluster-dir, never /etc. It follows the LB's xDS plan (members, DRAINING, weights, policy): HAProxy through its runtime API (a reload only for a policy switch), NGINX by a regenerated config and a graceful reload. SIGTERM stops the proxy by its PID.`;

  static override hidden = true;

  static override examples = ['<%= config.bin %> serve dataplane --kind haproxy --port 7108 --xds-addr 127.0.0.1:7107 --base-port 7000 --cluster-dir /tmp/lbx/default'];

  static override flags = dataPlaneRoleFlags;

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeDataPlane);
    await serveDataPlane(flags);
  }
}
