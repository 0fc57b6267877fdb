// GET /v1/health/*: a service's instances with their checks, each read as a blocking query.

import { blockWhileUnchanged, parseBlockingParams } from './blocking-query.js';
import { renderCheck, renderNode, renderNodeCheck, renderService } from './consul-json.js';
import { hasAllTags, readBooleanParam } from './query-filters.js';
import type { ResolvedRouteDependencies, Route } from './route.js';

export function healthRoutes({ state, random }: ResolvedRouteDependencies): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/health\/service\/(.+)$/,
      handle: async ({ params: [name = ''], query, signal }) => {
        const isPassingOnly = readBooleanParam(query, 'passing');
        const indexOf = (): number => state.indexOfService(name);
        await blockWhileUnchanged(state, indexOf, parseBlockingParams(query), signal, random);
        const tags = query.getAll('tag');
        const json = state
          .instancesOf(name)
          .filter((instance) => hasAllTags(instance, tags))
          // The node check is always passing here, so "passing" comes down to the instance's own checks.
          .filter((instance) => !isPassingOnly || instance.checks.every((check) => check.status === 'passing'))
          .map((instance) => ({
            Node: renderNode(state.node),
            Service: renderService(instance.service),
            Checks: [renderNodeCheck(state.node), ...instance.checks.map((check) => renderCheck(check, instance.service, state.node))],
          }));
        return { json, index: indexOf() };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/health\/checks\/(.+)$/,
      handle: async ({ params: [name = ''], query, signal }) => {
        const indexOf = (): number => state.indexOfService(name);
        await blockWhileUnchanged(state, indexOf, parseBlockingParams(query), signal, random);
        const json = state.instancesOf(name).flatMap((instance) => instance.checks.map((check) => renderCheck(check, instance.service, state.node)));
        return { json, index: indexOf() };
      },
    },
  ];
}
