// What a data plane should run now: the policy and the servers, from the LB's plan (membership, DRAINING, weights).
import { mapPolicyForDataPlane, type DataPlaneBalance } from './policy-mapping.js';
import type { DataPlaneKind } from './data-plane-kind.js';

/** ready: takes new calls · drain: finishes what it has, takes no new call (a graceful leaver). */
export type DataPlaneServerState = 'ready' | 'drain';

export interface DataPlaneServer {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly state: DataPlaneServerState;
}

export interface DataPlaneState {
  /** lbx's policy, long name. */
  readonly policy: string;
  readonly balance: DataPlaneBalance;
  /** `--hash-balance` (bounded load, e.g. 1.25); absent = off. */
  readonly hashBalance?: number;
  /** Sorted by port. */
  readonly servers: readonly DataPlaneServer[];
}

/** One endpoint as the LB's plan gives it (lbx.v1.XdsAdmin's endpoints). */
export interface PlanEndpoint {
  readonly host: string;
  readonly port: number;
  readonly weight: number;
  readonly health: string;
}

/**
 * The state for a plan. Weights count only where the policy uses them (wrr): under a load-aware policy the
 * LB's plan carries load-driven weights, which the proxies' own leastconn / random(2) replace.
 */
export function dataPlaneState(kind: DataPlaneKind, policy: string, endpoints: readonly PlanEndpoint[], hashBalance?: number): DataPlaneState | { readonly error: string } {
  const mapping = mapPolicyForDataPlane(kind, policy);
  if (mapping.kind === 'unsupported') return { error: mapping.message };
  const servers = [...endpoints]
    .sort((a, b) => a.port - b.port)
    .map((endpoint) => ({
      host: endpoint.host,
      port: endpoint.port,
      weight: mapping.balance.usesWeights ? Math.max(1, Math.round(endpoint.weight)) : 1,
      state: endpoint.health === 'draining' ? ('drain' as const) : ('ready' as const),
    }));
  return { policy, balance: mapping.balance, ...(hashBalance !== undefined && hashBalance > 0 ? { hashBalance } : {}), servers };
}

/** Whether two states need a different config file (policy or hash settings): a reload, not a runtime change. */
export function needsNewBalance(previous: DataPlaneState | undefined, next: DataPlaneState): boolean {
  return previous === undefined || previous.policy !== next.policy || previous.hashBalance !== next.hashBalance;
}
