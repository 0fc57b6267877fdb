// The endpoints of the Consul HTTP API subset: what each one reads from the catalog or asks of the agent.

import { agentRoutes } from './agent-routes.js';
import { catalogRoutes } from './catalog-routes.js';
import { healthRoutes } from './health-routes.js';
import type { Route, RouteDependencies } from './route.js';
import { statusRoutes } from './status-routes.js';

export type { Reply, Route, RouteContext, RouteDependencies } from './route.js';

const rootText = (identity: string): string => `${identity}
It serves the subset of the Consul HTTP API that lbx and common Consul clients use, for the
services of this one machine. It keeps no data on disk and has no peers; for several machines,
run a real Consul cluster and point lbx at it (--registry consul --registry-addr HOST:8500).

GET  /v1/agent/self, /v1/agent/services, /v1/agent/service/:id, /v1/agent/checks
PUT  /v1/agent/service/register, /v1/agent/service/deregister/:id
PUT  /v1/agent/check/pass|warn|fail/:id?note=, /v1/agent/check/update/:id
GET  /v1/catalog/services, /v1/catalog/service/:name
GET  /v1/health/service/:name?passing&tag=&index=&wait=, /v1/health/checks/:name
GET  /v1/status/leader, /v1/status/peers

Reads are anonymous. Every PUT needs the cluster token when the registry was started with one
(as an lbx cluster's is): send it as X-Consul-Token, Authorization: Bearer, or ?token=.
`;

/**
 * Every route, most specific first; http-api.ts picks the first whose pattern and method match.
 * Grouped per API area (agent-routes.ts, catalog-routes.ts, health-routes.ts, status-routes.ts).
 */
export function buildRoutes({ random = Math.random, ...dependencies }: RouteDependencies): Route[] {
  const resolved = { ...dependencies, random };
  return [
    { method: 'GET', pattern: /^\/$/, handle: () => ({ text: rootText(dependencies.identity) }) },
    ...agentRoutes(resolved),
    ...catalogRoutes(resolved),
    ...healthRoutes(resolved),
    ...statusRoutes(resolved),
  ];
}
