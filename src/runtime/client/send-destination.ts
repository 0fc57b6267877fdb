// Where `lbx send` goes: a local cluster (`lbx up`), whose runs are saved for `lbx report`, or one found only through a registry.
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import { requireRunningCluster } from '../cluster/cluster-lookup.js';
import { clusterPaths } from '../cluster/cluster-paths.js';
import type { RegistryConnection } from '../registry/create-registry.js';
import type { LbMode } from '../lb/lb-server.js';
import { resolveLbAddress } from './resolve-lb.js';

export interface SendDestination {
  readonly registry: RegistryConnection;
  readonly lbAddress: string;
  readonly mode: LbMode;
  /** The cluster's policy as its file says; undefined without one. */
  readonly policy?: string;
  /** Where runs are saved; undefined for a cluster without a local directory. */
  readonly paths?: ClusterPaths;
  /** The backends ready when the send began (from the cluster file); empty without one. */
  readonly backendAddresses: readonly string[];
  /** Things the user should know (the LB not listed in the registry right now). */
  readonly warnings: readonly string[];
}

/** A cluster started here by `lbx up`: its registry and mode from its file; runs are saved in its directory. */
export async function localDestination(name: string): Promise<SendDestination> {
  const cluster = await requireRunningCluster(name);
  const registry: RegistryConnection = { kind: cluster.spec.registry, address: cluster.registryAddress, cluster: cluster.name };
  const warnings: string[] = [];
  // A stock data plane (up --proxy haproxy|nginx) forwards instead of the LB: send calls it, at its fixed port.
  const dataPlane = cluster.spec.dataPlane === undefined ? undefined : cluster.components.find((component) => component.role === 'dataplane');
  // An LB that is restarting is not listed as passing: start with the cluster's LB address and wait for it.
  const lbAddress =
    dataPlane?.address ??
    (await resolveLbAddress(registry).catch((error: unknown) => {
      warnings.push(`${error instanceof Error ? error.message : String(error)}; trying the cluster's LB at ${cluster.lbAddress} for up to --lb-wait`);
      return cluster.lbAddress;
    }));
  const backendAddresses = cluster.components.filter((component) => component.role === 'backend' && component.state === 'ready').map((component) => component.address);
  return { registry, lbAddress, mode: cluster.spec.mode ?? 'lookaside', policy: cluster.spec.policy, paths: clusterPaths(name), backendAddresses, warnings };
}

/** A cluster known only to its registry (roles started by hand, maybe on other machines): the LB must be listed there now. */
export async function registryDestination(registry: RegistryConnection, mode: LbMode): Promise<SendDestination> {
  const lbAddress = await resolveLbAddress(registry);
  return { registry, lbAddress, mode, backendAddresses: [], warnings: [] };
}

/** The registry given on the command line when there is one (look-aside unless `mode` says proxy), otherwise the local cluster `name`. */
export async function resolveSendDestination(name: string, registry: RegistryConnection | undefined, mode: LbMode = 'lookaside'): Promise<SendDestination> {
  return registry === undefined ? localDestination(name) : registryDestination(registry, mode);
}
