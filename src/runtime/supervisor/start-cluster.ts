// Starts a cluster, the one way every command does it (`up`, bench's private cluster): refuse a live one,
// clean a provably stale one, check every port, launch the supervisor and follow it until ready.
import { LbxError } from '../../core/lbx-error.js';
import { cleanStaleCluster, describeUnusable, lookupCluster } from '../cluster/cluster-lookup.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { findPortsInUse } from '../cluster/port-check.js';
import { MAX_BASE_PORT, MIN_BASE_PORT, portLayout, portsToBind } from '../cluster/ports.js';
import { launchSupervisor, type LaunchResult } from './launch-supervisor.js';
import type { SupervisorEvent } from './supervisor.js';

export type StartClusterEvent =
  { readonly type: 'cleaned-stale'; readonly reason: string } | { readonly type: 'launching' } | { readonly type: 'supervisor'; readonly event: SupervisorEvent };

const downHint = (name: string): string => 'stop it first with: lbx down' + (name === 'default' ? '' : ` --name ${name}`);

/** Starts the cluster `spec` describes; resolves once every component is ready. */
export async function startCluster(spec: ClusterSpec, onEvent: (event: StartClusterEvent) => void): Promise<LaunchResult> {
  const lookup = await lookupCluster(spec.name);
  switch (lookup.kind) {
    case 'running':
      throw new LbxError('usage', `cluster "${spec.name}" is already running (supervisor pid ${lookup.file.supervisorPid}, LB ${lookup.file.lbAddress})`, [
        downHint(spec.name),
        'or start another beside it: lbx up --name <other> --base-port <port>',
      ]);
    case 'starting':
      throw new LbxError('usage', `cluster "${spec.name}" is being started by another \`lbx up\``);
    case 'damaged':
    case 'unreadable': {
      const unusable = describeUnusable(lookup);
      throw new LbxError('usage', unusable.message, unusable.suggestions);
    }
    case 'stale':
      await cleanStaleCluster(lookup.paths, lookup.file);
      onEvent({ type: 'cleaned-stale', reason: lookup.reason });
      break;
    case 'none':
      break;
  }
  await refuseBusyPorts(spec);
  onEvent({ type: 'launching' });
  return launchSupervisor(lookup.paths, spec, { timeoutMs: spec.readyTimeoutMs, onEvent: (event) => onEvent({ type: 'supervisor', event }) });
}

/** Every port the cluster will bind must be free now: a clash is a usage error naming the ports and the flag that moves them. */
async function refuseBusyPorts(spec: ClusterSpec): Promise<void> {
  const layout = portLayout(spec.basePort);
  const busy = await findPortsInUse(spec.host, portsToBind(layout, spec.backends, spec.registry, spec.dataPlane));
  if (busy.length === 0) return;
  const list = busy.map((entry) => `${entry.port} (${entry.component})`).join(', ');
  const free = await findFreeBasePort(spec);
  throw new LbxError('usage', `port${busy.length > 1 ? 's' : ''} ${list} already in use on ${spec.host}`, [
    free === undefined
      ? `choose another range with --base-port (now ${spec.basePort})`
      : `choose another range with --base-port (now ${spec.basePort}): --base-port ${free} is free right now`,
  ]);
}

/** Base ports 1000 apart from the asked one, tried in turn; the first whose whole layout is free, so the hint is one that works. */
async function findFreeBasePort(spec: ClusterSpec): Promise<number | undefined> {
  const STEP = 1_000;
  for (let offset = STEP; offset <= MAX_BASE_PORT - MIN_BASE_PORT; offset += STEP) {
    const candidate = MIN_BASE_PORT + ((spec.basePort - MIN_BASE_PORT + offset) % (MAX_BASE_PORT - MIN_BASE_PORT));
    const busy = await findPortsInUse(spec.host, portsToBind(portLayout(candidate), spec.backends, spec.registry, spec.dataPlane));
    if (busy.length === 0) return candidate;
  }
  return undefined;
}
