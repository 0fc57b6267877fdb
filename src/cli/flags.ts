// Flags shared by several commands.
import { Flags } from '@oclif/core';

import { DEFAULT_CLUSTER_NAME, validateClusterName } from '../runtime/cluster/cluster-paths.js';
import type { RegistryConnection, RegistryKind } from '../runtime/registry/create-registry.js';

export const clusterNameFlag = Flags.string({
  char: 'n',
  description: 'Cluster name: several clusters can run side by side (state in $LBX_HOME/<name>, default ~/.lbx).',
  default: DEFAULT_CLUSTER_NAME,
});

/** Where a role reaches the registry (host:port); each role also needs it when run on its own. */
export const registryAddressFlag = Flags.string({
  description: 'Registry address, host:port: a Consul agent\'s (or the embedded registry\'s) HTTP API, or an etcd client URL.',
  required: true,
});

/** The APIs a registry may speak; the embedded registry speaks Consul's. */
export const REGISTRY_KINDS = ['embedded', 'consul', 'etcd'] as const satisfies readonly RegistryKind[];

/** Which API the registry at --registry-addr speaks. */
export const registryKindFlag = Flags.string({
  description: 'What the registry at --registry-addr is: consul (a Consul agent; lbx\'s embedded registry speaks the same API), embedded, or etcd.',
  options: [...REGISTRY_KINDS],
  default: 'consul',
});

/** The cluster's name in the registry: etcd keys live under /lbx/<name>/. */
export const registryClusterFlag = Flags.string({
  description: 'Cluster name in the registry: etcd keys live under /lbx/<name>/ (Consul and the embedded registry ignore it).',
  default: DEFAULT_CLUSTER_NAME,
});

/** The registry a role or command was pointed at with --registry, --registry-addr and --cluster. */
export function registryConnectionFromFlags(flags: { readonly registry: string; readonly 'registry-addr': string; readonly cluster: string }): RegistryConnection {
  return { kind: flags.registry as RegistryKind, address: flags['registry-addr'], cluster: validateClusterName(flags.cluster) };
}

export const hostFlag = Flags.string({ description: 'Address to bind.', default: '127.0.0.1' });

/** The cluster's token file (set by the supervisor): the LB requires it on calls that change its state; backends send it. */
export const tokenFileFlag = Flags.string({
  description:
    'File holding the cluster token (an `lbx up` cluster keeps it in $LBX_HOME/<name>/control.token). An LB given one requires it on RegisterServer, DeregisterServer, ReportLoad and SetPolicy; a backend sends it. Without it, those calls are open to every local user.',
});

/** Marks a child's argv with its cluster directory so stale pids can be verified before any signal. */
export const clusterDirFlag = Flags.string({ description: 'Cluster directory (set by the supervisor).', hidden: true });
