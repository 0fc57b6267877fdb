// What `lbx ring` analyses: the running cluster's ring (its live backends and settings) or a hypothetical one of N
// backends, with the flags' overrides and the change to show (--add, --remove).
import type { RingMember } from '../../core/hash/hash-ring.js';
import type { RingInput, RingSource } from '../../core/hash/ring-analysis.js';
import type { PolicyConfig } from '../../core/policies/policy.js';
import { backendId } from '../supervisor/role-commands.js';
import { requireRunningCluster } from './cluster-lookup.js';
import { DEFAULT_BASE_PORT } from './ports.js';

const HYPOTHETICAL_HOST = '127.0.0.1';

export interface RingQuery {
  readonly name: string;
  /** A hypothetical cluster of this many backends instead of the running one. */
  readonly backends?: number;
  readonly basePort?: number;
  /** Settings that override the cluster's (or the defaults). */
  readonly overrides: PolicyConfig;
  readonly add?: number;
  readonly remove?: number;
  readonly keyCount: number;
}

// The supervisor's own naming: murmur3 places a backend's nodes by this id, so the ring matches the LB's.
const ringMember = (host: string, port: number): RingMember => ({ address: `${host}:${port}`, id: backendId(port) });

interface RingBase {
  readonly source: RingSource;
  readonly members: RingMember[];
  readonly config: PolicyConfig;
  readonly host: string;
  /** Highest backend port the cluster uses (exited ones included); added backends go after it. */
  readonly lastPort: number;
}

async function clusterRing(query: RingQuery): Promise<RingBase> {
  const cluster = await requireRunningCluster(query.name);
  const backends = cluster.components.filter((component) => component.role === 'backend');
  const live = backends.filter((component) => component.state !== 'exited' && component.state !== 'removed');
  return {
    source: {
      kind: 'cluster',
      name: cluster.name,
      policy: cluster.spec.policy,
      exited: backends.filter((component) => component.state === 'exited').map((component) => component.address),
    },
    members: live.map((component) => ({ address: component.address, id: backendId(component.port) })),
    config: { ...cluster.spec.policyConfig, ...query.overrides },
    host: cluster.spec.host,
    lastPort: Math.max(cluster.spec.basePort, ...backends.map((component) => component.port)),
  };
}

function hypotheticalRing(query: RingQuery & { readonly backends: number }): RingBase {
  const basePort = query.basePort ?? DEFAULT_BASE_PORT;
  return {
    source: { kind: 'hypothetical', host: HYPOTHETICAL_HOST, basePort },
    members: Array.from({ length: query.backends }, (_, index) => ringMember(HYPOTHETICAL_HOST, basePort + 1 + index)),
    config: query.overrides,
    host: HYPOTHETICAL_HOST,
    lastPort: basePort + query.backends,
  };
}

export async function ringInputOf(query: RingQuery): Promise<RingInput> {
  const base = query.backends === undefined ? await clusterRing(query) : hypotheticalRing({ ...query, backends: query.backends });
  const change: RingInput['change'] =
    query.add !== undefined
      ? { kind: 'add', members: Array.from({ length: query.add }, (_, index) => ringMember(base.host, base.lastPort + 1 + index)) }
      : query.remove !== undefined
        ? { kind: 'remove', port: query.remove }
        : undefined;
  return { source: base.source, members: base.members, config: base.config, keyCount: query.keyCount, ...(change === undefined ? {} : { change }) };
}
