// The one place a role gets its registry client: the Consul-API adapter (a real Consul or the embedded registry) or the etcd adapter.
import { readTokenFile } from '../cluster/cluster-token.js';
import { createEtcdRegistryClient } from './etcd/etcd-registry-client.js';
import { createConsulRegistryClient, type RegistryClientOptions } from './consul-registry-client.js';
import type { RegistryClient } from './registry-contract.js';

/** 'embedded' and 'consul' speak Consul's HTTP API; 'etcd' is etcd's v3 JSON gateway. */
import type { RegistryKind } from '../cluster/cluster-spec.js';

export type { RegistryKind };

export interface RegistryConnection {
  readonly kind: RegistryKind;
  /** host:port of the registry's HTTP API (for etcd, a client URL's host:port). */
  readonly address: string;
  /** Namespaces keys in etcd (/lbx/<cluster>/); Consul and the embedded registry ignore it. */
  readonly cluster: string;
}

export interface CreateRegistryOptions extends Omit<RegistryClientOptions, 'address'> {
  /**
   * The cluster's token file (control.token): an embedded registry started by lbx wants its
   * token on every write. Sent to the embedded registry only: a real Consul has its own ACL
   * tokens (CONSUL_HTTP_TOKEN, or `token`), and would refuse one it does not know.
   */
  clusterTokenFile?: string;
}

/**
 * A client for `connection`. For the embedded registry the token is the cluster's (from
 * `clusterTokenFile`), else `token` or $CONSUL_HTTP_TOKEN; for Consul, `token` or
 * $CONSUL_HTTP_TOKEN; etcd takes etcdctl's ETCDCTL_USER (see etcd/etcd-auth.ts), and `watchWaitMs` bounds one watch stream.
 */
export function createRegistry(connection: RegistryConnection, options: CreateRegistryOptions = {}): RegistryClient {
  const { clusterTokenFile, ...clientOptions } = options;
  switch (connection.kind) {
    case 'embedded': {
      const token = clusterTokenFile === undefined ? clientOptions.token : readTokenFile(clusterTokenFile);
      return createConsulRegistryClient({ ...clientOptions, ...(token === undefined ? {} : { token }), address: connection.address });
    }
    case 'consul':
      return createConsulRegistryClient({ ...clientOptions, address: connection.address });
    case 'etcd': {
      const { requestTimeoutMs, watchWaitMs, watchRetryMaxMs } = clientOptions;
      return createEtcdRegistryClient({ address: connection.address, cluster: connection.cluster, requestTimeoutMs, watchWaitMs, watchRetryMaxMs });
    }
  }
}
