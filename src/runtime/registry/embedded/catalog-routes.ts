// GET /v1/catalog/*: the services this node holds, each read as a blocking query.

import { blockWhileUnchanged, parseBlockingParams } from './blocking-query.js';
import { renderCatalogService } from './consul-json.js';
import { hasAllTags } from './query-filters.js';
import type { ResolvedRouteDependencies, Route } from './route.js';

export function catalogRoutes({ state, random }: ResolvedRouteDependencies): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/catalog\/services$/,
      handle: async ({ query, signal }) => {
        const indexOf = (): number => state.indexOfServiceList();
        await blockWhileUnchanged(state, indexOf, parseBlockingParams(query), signal, random);
        const tagsByName = new Map<string, Set<string>>();
        for (const service of state.allServices()) {
          const tags = tagsByName.get(service.definition.name) ?? new Set<string>();
          for (const tag of service.definition.tags) tags.add(tag);
          tagsByName.set(service.definition.name, tags);
        }
        const json = Object.fromEntries([...tagsByName].map(([name, tags]) => [name, [...tags].sort()]));
        return { json, index: indexOf() };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/catalog\/service\/(.+)$/,
      handle: async ({ params: [name = ''], query, signal }) => {
        const indexOf = (): number => state.indexOfService(name);
        await blockWhileUnchanged(state, indexOf, parseBlockingParams(query), signal, random);
        const tags = query.getAll('tag');
        const json = state
          .instancesOf(name)
          .filter((instance) => hasAllTags(instance, tags))
          .map((instance) => renderCatalogService(instance.service, state.node));
        return { json, index: indexOf() };
      },
    },
  ];
}
