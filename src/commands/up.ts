import { Flags } from '@oclif/core';

import { LbxCommand } from '../cli/lbx-command.js';
import { clusterFlags, planCluster, startCluster } from '../cli/cluster-flags.js';
import { clusterNameFlag } from '../cli/flags.js';
import { proxyFlag } from '../cli/data-plane-flags.js';
import { renderUp, upResult, type UpResult } from '../cli/render-up.js';
import { POLICIES, resolvePolicy } from '../core/policies/index.js';
import { DEFAULT_BASE_PORT } from '../runtime/cluster/ports.js';

export type { UpResult } from '../cli/render-up.js';

export default class Up extends LbxCommand {
  static override summary = 'Start a cluster: registry, load balancer and N backends, as child processes of one supervisor.';

  static override description = `Returns once every component is ready. Ports are fixed from --base-port (default ${DEFAULT_BASE_PORT}):

backends base+1…base+N (7001, 7002, …), LB base+100 (7100), control API base+101 (7101), registry base+102 (7102), LB metrics base+106 (7106), xDS for stock gRPC clients base+107 (7107).

The registry is a real \`consul agent -dev\` when a consul binary is on PATH (--registry auto), otherwise lbx's embedded, Consul-compatible one.

--registry etcd runs a real one-member etcd instead (client URL on base+102, peer URL on base+103, data in the cluster directory).

--netns puts each backend in its own network namespace, joined to the root namespace by a veth pair (10.<n>.<i>.1/.2, n picked per cluster among unused 10.n/16s); the registry, the LB and the control API listen on the cluster's hub address 10.<n>.255.1. \`lbx fault --net-delay/--net-loss/--partition\` then faults the kernel's network, and \`lbx down\` deletes every namespace and veth. Needs Linux, root (or CAP_NET_ADMIN) and iproute2's ip.

--mode proxy --proxy haproxy|nginx runs Debian's HAProxy or NGINX as the data plane on base+108 (7108), its config, pid file and socket in the cluster directory; \`lbx send\` calls it, and kill/add/rm/scale/policy reach it without dropping calls (see docs/data-planes.md).`;

  static override examples = [
    '<%= config.bin %> up',
    '<%= config.bin %> up --backends 4 --policy rr',
    '<%= config.bin %> up --name lab2 --base-port 8000 --policy least_load',
    '<%= config.bin %> up --registry embedded --json',
    '<%= config.bin %> up --registry etcd',
    '<%= config.bin %> up --backends 4 --speeds 1,1,1,0.25 --policy ll',
    '<%= config.bin %> up --policy wrr --weights 1,1,2,4',
    '<%= config.bin %> up --policy wrr --speeds 1,1,1,0.25 --weights speeds',
    '<%= config.bin %> up --respawn',
    '<%= config.bin %> up --mode proxy --policy p2c',
    '<%= config.bin %> up --mode proxy --proxy haproxy --policy lc   # HAProxy forwards, on base+108',
    '<%= config.bin %> up --mode proxy --proxy nginx --policy ch     # NGINX, hash $http_x_lbx_key consistent',
    '<%= config.bin %> up --slow-start 10s   # new and restarted backends ramp up',
    '<%= config.bin %> up --netns --backends 3   # each backend in its own network namespace (root, iproute2)',
    '<%= config.bin %> up --backends 256 --backend-processes 8   # dense: worker threads of 8 processes, 4 backends a thread',
  ];

  static override flags = {
    name: clusterNameFlag,
    policy: Flags.string({
      char: 'p',
      description: `Load-balancing policy: ${POLICIES.map((policy) => (policy.shortName === policy.name ? policy.name : `${policy.shortName}|${policy.name}`)).join(', ')}.`,
      default: 'rr',
    }),
    ...clusterFlags,
    proxy: proxyFlag,
    netns: Flags.boolean({
      description: 'Each backend in its own network namespace behind a veth pair, for kernel network faults (lbx fault --net-*, --partition). Linux, root, iproute2.',
      default: false,
    }),
  };

  async run(): Promise<UpResult> {
    const { flags } = await this.parse(Up);
    const policy = resolvePolicy(flags.policy);
    const { findExecutable } = await import('../runtime/registry/find-executable.js');
    // Every bad value is a usage error here, before anything starts.
    const planned = planCluster(flags.name, policy, flags, findExecutable);
    const netns = flags.netns ? await (await import('../runtime/netns/prepare-netns.js')).prepareNetns(planned.spec, { hostGiven: flags.host !== '127.0.0.1' }) : undefined;
    const { file, readyMs } = await startCluster(netns === undefined ? planned : { ...planned, spec: netns.spec }, {
      quiet: flags.json ?? false,
      note: (line) => this.logToStderr(line),
    }).catch((error: unknown) => {
      netns?.undo();
      throw error;
    });

    if (!flags.json) this.log(renderUp(file, planned.registryBinary, flags.registry));
    return upResult(file, readyMs);
  }
}
