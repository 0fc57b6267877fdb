import { Flags } from '@oclif/core';

import { LbxCommand } from '../../cli/lbx-command.js';
import { clusterNameFlag } from '../../cli/flags.js';
import { buildBootstrap, type XdsBootstrap } from '../../core/xds/xds-bootstrap.js';
import { LbxError } from '../../core/lbx-error.js';
import { HOST_PORT_PATTERN } from '../../cli/flags.js';

const NODE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export default class XdsBootstrapCommand extends LbxCommand {
  static override summary = "Print the xDS bootstrap that points a stock gRPC client at this cluster's control plane.";

  static override description = `The LB serves xDS (ADS, v3) on base+107. Save the output and start any gRPC client that speaks xDS with GRPC_XDS_BOOTSTRAP=<file> (or the JSON in GRPC_XDS_BOOTSTRAP_CONFIG) and the target xds:///lbx-backend: it takes the backends, their weights and health, and the policy from lbx, and follows every kill, rm, scale and policy change.

--address names the control plane as clients on other hosts reach it (default: the LB's own host). Each client should have its own --node-id: lbx status lists clients by it.`;

  static override examples = [
    '<%= config.bin %> xds bootstrap > bootstrap.json',
    'GRPC_XDS_BOOTSTRAP=bootstrap.json node my-client.js   # target xds:///lbx-backend',
    '<%= config.bin %> xds bootstrap --node-id checkout-1 --zone eu-west-1a',
    '<%= config.bin %> xds bootstrap --address lb.example.internal:7107',
  ];

  static override flags = {
    name: clusterNameFlag,
    'node-id': Flags.string({ description: "The client's node id, shown by lbx status (letters, digits, . _ : -; up to 128).", default: 'lbx-client' }),
    zone: Flags.string({ description: "The client's locality zone, shown by lbx status.", default: 'local' }),
    address: Flags.string({ description: 'host:port clients dial for xDS (default: the LB host and base+107).' }),
  };

  async run(): Promise<XdsBootstrap> {
    const { flags } = await this.parse(XdsBootstrapCommand);
    if (!NODE_ID.test(flags['node-id']))
      throw new LbxError('usage', `--node-id ${JSON.stringify(flags['node-id'])} is not a node id: expected 1–128 letters, digits, '.', '_', ':' or '-'`);
    if (!NODE_ID.test(flags.zone)) throw new LbxError('usage', `--zone ${JSON.stringify(flags.zone)} is not a zone: expected 1–128 letters, digits, '.', '_', ':' or '-'`);
    if (flags.address !== undefined && !HOST_PORT_PATTERN.test(flags.address))
      throw new LbxError('usage', `--address ${JSON.stringify(flags.address)} is not host:port`, ['e.g. --address 10.0.0.5:7107']);
    const { requireRunningCluster } = await import('../../runtime/cluster/cluster-lookup.js');
    const { xdsAddressOf } = await import('../../runtime/cluster/ports.js');
    const cluster = await requireRunningCluster(flags.name);
    const bootstrap = buildBootstrap({ serverUri: flags.address ?? xdsAddressOf(cluster.lbAddress), nodeId: flags['node-id'], zone: flags.zone });
    if (!flags.json) this.log(JSON.stringify(bootstrap, null, 2));
    return bootstrap;
  }
}
