// What HAProxy and NGINX do for each lbx policy: a pure table, the one place the config generators and the refusals read.
import { XDS_HASH_HEADER } from '../xds/xds-plan.js';
import type { DataPlaneKind } from './data-plane-kind.js';

/** The request header both proxies hash under `ch`: the same one stock xDS clients hash. */
export const DATA_PLANE_HASH_HEADER = XDS_HASH_HEADER;

/** How one data plane balances for one lbx policy. */
export interface DataPlaneBalance {
  /** HAProxy: the `balance` line's argument; NGINX: the upstream directive ('' = NGINX's default, weighted round robin). */
  readonly directive: string;
  /** Server weights are the backends' registered weights (wrr); otherwise every server has weight 1. */
  readonly usesWeights: boolean;
  /** Consistent hashing on DATA_PLANE_HASH_HEADER (HAProxy adds `hash-type consistent`). */
  readonly hashesKey: boolean;
  /** How close it comes to lbx's own policy, for the README table and `lbx status`. */
  readonly note: string;
}

type MappingTable = Readonly<Record<string, Readonly<Record<DataPlaneKind, DataPlaneBalance>>>>;

const NGINX_HASH = `hash $http_${DATA_PLANE_HASH_HEADER.replaceAll('-', '_')} consistent`;

/** lbx policy (long name) → what each data plane runs. A policy missing here is refused, never approximated. */
const MAPPINGS: MappingTable = {
  round_robin: {
    haproxy: { directive: 'roundrobin', usesWeights: false, hashesKey: false, note: 'balance roundrobin' },
    nginx: { directive: '', usesWeights: false, hashesKey: false, note: "NGINX's default (round robin)" },
  },
  least_connections: {
    haproxy: { directive: 'leastconn', usesWeights: false, hashesKey: false, note: 'balance leastconn (streams in flight per server)' },
    nginx: { directive: 'least_conn', usesWeights: false, hashesKey: false, note: 'least_conn (per worker process)' },
  },
  power_of_two: {
    haproxy: { directive: 'random(2)', usesWeights: false, hashesKey: false, note: 'balance random(2): two random draws, the less loaded wins' },
    nginx: { directive: 'random two least_conn', usesWeights: false, hashesKey: false, note: 'random two least_conn' },
  },
  weighted_round_robin: {
    haproxy: { directive: 'roundrobin', usesWeights: true, hashesKey: false, note: 'balance roundrobin with server weights' },
    nginx: { directive: '', usesWeights: true, hashesKey: false, note: 'round robin with server weights' },
  },
  consistent_hash: {
    haproxy: {
      directive: `hdr(${DATA_PLANE_HASH_HEADER})`,
      usesWeights: false,
      hashesKey: true,
      note: `balance hdr(${DATA_PLANE_HASH_HEADER}) + hash-type consistent (+ hash-balance-factor for --hash-balance)`,
    },
    nginx: { directive: NGINX_HASH, usesWeights: false, hashesKey: true, note: `${NGINX_HASH} (ketama; --hash-balance not supported)` },
  },
};

/** The policies a data plane runs, by long name, in table order. */
export function supportedPolicies(kind: DataPlaneKind): string[] {
  return Object.keys(MAPPINGS).filter((policy) => MAPPINGS[policy]?.[kind] !== undefined);
}

export type DataPlaneMapping = { readonly kind: 'ok'; readonly balance: DataPlaneBalance } | { readonly kind: 'unsupported'; readonly message: string };

/** What `kind` runs for `policy` (long name), or why it cannot: the message names what it does support. */
export function mapPolicyForDataPlane(kind: DataPlaneKind, policy: string): DataPlaneMapping {
  const balance = MAPPINGS[policy]?.[kind];
  if (balance !== undefined) return { kind: 'ok', balance };
  return { kind: 'unsupported', message: `the ${kind} data plane has no policy "${policy}"; it supports: ${supportedPolicies(kind).join(', ')}` };
}

/** Every mapped policy with both data planes' balance: the README's table. */
export function dataPlanePolicyTable(): readonly { readonly policy: string; readonly haproxy: DataPlaneBalance; readonly nginx: DataPlaneBalance }[] {
  return Object.entries(MAPPINGS).map(([policy, row]) => ({ policy, haproxy: row.haproxy, nginx: row.nginx }));
}

/** Why `kind` cannot run `policy` (long name) with these settings, or undefined when it can. */
export function dataPlaneRefusal(kind: DataPlaneKind, policy: string, settings: { readonly hashBalance?: number } = {}): string | undefined {
  const mapping = mapPolicyForDataPlane(kind, policy);
  if (mapping.kind === 'unsupported') return mapping.message;
  // NGINX's hash has no bounded load: a --hash-balance it would ignore is refused, not silently dropped.
  if (kind === 'nginx' && mapping.balance.hashesKey && settings.hashBalance !== undefined && settings.hashBalance > 0) {
    return 'the nginx data plane has no bounded-load hashing: --hash-balance needs --proxy haproxy (or lbx)';
  }
  return undefined;
}
