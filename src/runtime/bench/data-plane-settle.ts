// Before a run through HAProxy or NGINX: the LB's plan must list every backend serving, and the data plane must have had time to apply it.
import { setTimeout as sleep } from 'node:timers/promises';

import type { ClusterFile } from '../cluster/cluster-file.js';
import { xdsAddressOf } from '../cluster/ports.js';
import { waitFor } from '../process/wait-for.js';
import { fetchXdsStatus } from '../xds/xds-admin-client.js';

/** A stock data plane polls the LB's plan every 200 ms and reloads gracefully on a change of policy (NGINX: of members too): this long covers both. */
export const DATA_PLANE_FOLLOW_MS = 1_000;
/** How long the LB's plan may take to list every backend serving (a fresh cluster, a backend started again after --kill-during). */
const PLAN_TIMEOUT_MS = 15_000;
const PLAN_POLL_MS = 100;
const XDS_STATUS_TIMEOUT_MS = 1_000;

/**
 * Returns once a data-plane cluster's proxy routes to every backend in `addresses`: the LB's plan lists each one
 * healthy, then the data plane gets DATA_PLANE_FOLLOW_MS to apply it when the plan was incomplete or `hasChanged`
 * (a fresh cluster, a policy switch, a backend started again). The data plane starts beside the backends, so right after `up` it may still
 * hold an empty or partial member list; calls sent then meet 503s. No-op without a stock data plane.
 */
export async function settleDataPlane(cluster: ClusterFile, addresses: readonly string[], hasChanged: boolean): Promise<void> {
  if (cluster.spec.dataPlane === undefined) return;
  const xdsAddress = xdsAddressOf(cluster.lbAddress);
  let isIncomplete = false;
  await waitFor(
    async () => {
      const status = await fetchXdsStatus(xdsAddress, XDS_STATUS_TIMEOUT_MS);
      const healthy = new Set(status.endpoints.filter((endpoint) => endpoint.health === 'healthy').map((endpoint) => endpoint.address));
      const missing = addresses.filter((address) => !healthy.has(address));
      if (missing.length === 0) return true;
      isIncomplete = true;
      throw new Error(`the LB's plan lacks ${missing.join(', ')}`);
    },
    { description: `the ${cluster.spec.dataPlane} data plane's members`, timeoutMs: PLAN_TIMEOUT_MS, intervalMs: PLAN_POLL_MS },
  );
  if (isIncomplete || hasChanged) await sleep(DATA_PLANE_FOLLOW_MS);
}
