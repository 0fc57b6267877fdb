// What the data plane should run, asked of the LB: its xDS plan (policy, members, DRAINING, weights) over
// lbx.v1.XdsAdmin, and --hash-balance from the cluster file (the supervisor saves it on every policy switch).
import { promises as fs } from 'node:fs';
import path from 'node:path';

import type { DataPlaneKind } from '../../core/dataplane/data-plane-kind.js';
import { dataPlaneState, type DataPlaneState, type PlanEndpoint } from '../../core/dataplane/data-plane-state.js';
import { LbxError } from '../../core/lbx-error.js';
import { fetchXdsStatus } from '../xds/xds-admin-client.js';

const STATUS_TIMEOUT_MS = 1_000;

/** "127.0.0.1:7001" or "[::1]:7001" into host and port. */
function parseEndpoint(address: string, weight: number, health: string): PlanEndpoint {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)), weight, health };
}

/** The cluster's --hash-balance now; undefined when unset or the file cannot be read. */
async function readHashBalance(clusterDir: string): Promise<number | undefined> {
  try {
    const file = JSON.parse(await fs.readFile(path.join(clusterDir, 'cluster.json'), 'utf8')) as { spec?: { policyConfig?: { hashBalance?: number } } };
    return file.spec?.policyConfig?.hashBalance;
  } catch {
    return undefined;
  }
}

/**
 * The state the LB's plan asks for. Throws when the LB does not answer, has no plan yet, or runs a policy
 * this data plane lacks (the supervisor refuses such a switch; a hand-started LB may not).
 */
export async function fetchDataPlaneState(kind: DataPlaneKind, xdsAddress: string, clusterDir: string): Promise<DataPlaneState> {
  const status = await fetchXdsStatus(xdsAddress, STATUS_TIMEOUT_MS);
  if (status.policy === '') throw new LbxError('runtime', `the LB at ${xdsAddress} has no plan yet`);
  const endpoints = status.endpoints.map((endpoint) => parseEndpoint(endpoint.address, endpoint.weight, endpoint.health));
  const state = dataPlaneState(kind, status.policy, endpoints, await readHashBalance(clusterDir));
  if ('error' in state) throw new LbxError('runtime', state.error);
  return state;
}
