// GET /v1/status/*: this registry is its own leader and its only peer.

import type { ResolvedRouteDependencies, Route } from './route.js';

export function statusRoutes({ self }: ResolvedRouteDependencies): Route[] {
  const selfAddress = (): string => {
    const { host, port } = self();
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  };
  return [
    { method: 'GET', pattern: /^\/v1\/status\/leader$/, handle: () => ({ json: selfAddress() }) },
    { method: 'GET', pattern: /^\/v1\/status\/peers$/, handle: () => ({ json: [selfAddress()] }) },
  ];
}
