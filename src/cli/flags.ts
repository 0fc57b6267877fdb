// Flags shared by several commands.
import { Flags } from '@oclif/core';

import { DEFAULT_CLUSTER_NAME } from '../runtime/cluster/cluster-paths.js';

export const clusterNameFlag = Flags.string({
  char: 'n',
  description: 'Cluster name: several clusters can run side by side (state in $LBX_HOME/<name>, default ~/.lbx).',
  default: DEFAULT_CLUSTER_NAME,
});

/** Where a role reaches the registry (host:port); each role also needs it when run on its own. */
export const registryAddressFlag = Flags.string({
  description: 'Registry HTTP address (Consul API), host:port.',
  required: true,
});

export const hostFlag = Flags.string({ description: 'Address to bind.', default: '127.0.0.1' });

/** The cluster's token file (set by the supervisor): the LB requires it on calls that change its state; backends send it. */
export const tokenFileFlag = Flags.string({ description: 'File holding the cluster token (set by the supervisor; without it the LB\'s state-changing calls are open to every local user).', hidden: true });

/** Marks a child's argv with its cluster directory so stale pids can be verified before any signal. */
export const clusterDirFlag = Flags.string({ description: 'Cluster directory (set by the supervisor).', hidden: true });
