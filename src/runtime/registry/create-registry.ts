// The one place a role gets its registry client: the Consul-API adapter (a real Consul or the embedded registry) or the etcd adapter.
import { createEtcdRegistryClient } from './etcd/etcd-registry-client.js';
import { createRegistryClient, type RegistryClient, type RegistryClientOptions } from './registry-client.js';

/** 'embedded' and 'consul' speak Consul's HTTP API; 'etcd' is etcd's v3 JSON gateway. */
export type RegistryKind = 'embedded' | 'consul' | 'etcd';

export interface RegistryConnection {
  readonly kind: RegistryKind;
  /** host:port of the registry's HTTP API (for etcd, a client URL's host:port). */
  readonly address: string;
  /** Namespaces keys in etcd (/lbx/<cluster>/); Consul and the embedded registry ignore it. */
  readonly cluster: string;
}

/** A client for `connection`. For etcd, `token` is not used (it is Consul's ACL token) and `watchWaitMs` bounds one watch stream. */
export function createRegistry(connection: RegistryConnection, options: Omit<RegistryClientOptions, 'address'> = {}): RegistryClient {
  switch (connection.kind) {
    case 'embedded':
    case 'consul':
      return createRegistryClient({ ...options, address: connection.address });
    case 'etcd': {
      const { requestTimeoutMs, watchWaitMs, watchRetryMaxMs } = options;
      return createEtcdRegistryClient({ address: connection.address, cluster: connection.cluster, requestTimeoutMs, watchWaitMs, watchRetryMaxMs });
    }
  }
}
