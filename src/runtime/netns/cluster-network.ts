// The namespaces and veth pairs of one `lbx up --netns` cluster: the hub its root roles listen on, one namespace per
// backend (made before the backend starts, kept across its restarts), and the sweep that deletes them all by name.
import { existsSync, readdirSync } from 'node:fs';

import {
  BACKEND_PREFIX_LENGTH,
  backendNetwork,
  hubNetwork,
  isLinkOf,
  isNamespaceOf,
  linkPrefix,
  namespacePrefix,
  type BackendNetwork,
  type NetnsPlan,
} from '../../core/netns/netns-plan.js';
import { findNetTool, runNetTool, tryNetTool } from './ip-command.js';

/** Where `ip netns add` puts its namespaces. */
const NETNS_RUN_DIR = '/run/netns';
const SYS_CLASS_NET = '/sys/class/net';

/** The hub: a veth pair in the root namespace, up, its address /32 (a local address every namespace routes to). Idempotent. */
export function ensureHub(plan: NetnsPlan): { readonly created: boolean } {
  const hub = hubNetwork(plan);
  if (existsSync(`${SYS_CLASS_NET}/${hub.link}`)) return { created: false };
  runNetTool('ip', ['link', 'add', hub.link, 'type', 'veth', 'peer', 'name', hub.peerLink]);
  runNetTool('ip', ['addr', 'add', `${hub.address}/32`, 'dev', hub.link]);
  runNetTool('ip', ['link', 'set', 'dev', hub.peerLink, 'up']);
  runNetTool('ip', ['link', 'set', 'dev', hub.link, 'up']);
  return { created: true };
}

/** The backend's namespace and veth pair, made when missing (a restart reuses them, with any fault on them). */
export function ensureBackendNetwork(plan: NetnsPlan, port: number, index: number): BackendNetwork {
  const network = backendNetwork(plan, port, index);
  if (existsSync(`${NETNS_RUN_DIR}/${network.namespace}`) && existsSync(`${SYS_CLASS_NET}/${network.hostLink}`)) return network;
  // Half made (a crash between two steps): start over.
  deleteBackendNetwork(network);
  runNetTool('ip', ['netns', 'add', network.namespace]);
  runNetTool('ip', ['link', 'add', network.hostLink, 'type', 'veth', 'peer', 'name', network.nsLink, 'netns', network.namespace]);
  runNetTool('ip', ['addr', 'add', `${network.hostAddress}/${BACKEND_PREFIX_LENGTH}`, 'dev', network.hostLink]);
  runNetTool('ip', ['link', 'set', 'dev', network.hostLink, 'up']);
  runNetTool('ip', ['-n', network.namespace, 'link', 'set', 'dev', 'lo', 'up']);
  runNetTool('ip', ['-n', network.namespace, 'addr', 'add', `${network.nsAddress}/${BACKEND_PREFIX_LENGTH}`, 'dev', network.nsLink]);
  runNetTool('ip', ['-n', network.namespace, 'link', 'set', 'dev', network.nsLink, 'up']);
  restoreDefaultRoute(network);
  return network;
}

/** The namespace's way to the hub: a link brought down loses its routes, so a partition's end puts this back. */
export function restoreDefaultRoute(network: BackendNetwork): void {
  runNetTool('ip', ['-n', network.namespace, 'route', 'replace', 'default', 'via', network.hostAddress]);
}

/** Deletes one backend's veth pair (its peer goes with it) and namespace; what was not there is no error. */
export function deleteBackendNetwork(network: BackendNetwork): void {
  tryNetTool('ip', ['link', 'del', network.hostLink]);
  tryNetTool('ip', ['netns', 'del', network.namespace]);
}

/** The argv that runs `file args…` in the namespace: `ip netns exec` execs in place, so the pid is the command's own. */
export function inNamespace(network: BackendNetwork, file: string, args: readonly string[]): { readonly file: string; readonly args: string[] } {
  return { file: findNetTool('ip') ?? 'ip', args: ['netns', 'exec', network.namespace, file, ...args] };
}

/** Names of this cluster's namespaces and root-namespace links that exist now, read from /run/netns and /sys/class/net (no process started). */
export function clusterNetworkLeftovers(tag: string): string[] {
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  return [...list(NETNS_RUN_DIR).filter((name) => isNamespaceOf(tag, name)), ...list(SYS_CLASS_NET).filter((name) => isLinkOf(tag, name))];
}

/**
 * Deletes every namespace and link the cluster tagged `tag` made, by name: after a clean stop or a crash alike,
 * and a second time harmlessly. Returns what is still there afterwards.
 */
export function sweepClusterNetwork(tag: string): string[] {
  const found = clusterNetworkLeftovers(tag);
  if (found.length === 0) return [];
  // Root ends first (each takes its peer along), then the namespaces.
  for (const link of found.filter((name) => name.startsWith(linkPrefix(tag)) && !name.endsWith('hup'))) tryNetTool('ip', ['link', 'del', link]);
  for (const namespace of found.filter((name) => name.startsWith(namespacePrefix(tag)))) tryNetTool('ip', ['netns', 'del', namespace]);
  return clusterNetworkLeftovers(tag);
}
