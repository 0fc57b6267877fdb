// What a route of the embedded registry's HTTP API is: a method and path pattern, and the handler that makes its reply.

import type { CatalogState } from './catalog-state.js';
import type { LocalAgent } from './local-agent.js';

export interface Reply {
  status?: number;
  json?: unknown;
  text?: string;
  /** X-Consul-Index for this reply; the registry's current index when absent. */
  index?: number;
  headers?: Record<string, string>;
}

export interface RouteContext {
  params: string[];
  query: URLSearchParams;
  signal: AbortSignal;
  readJson(): Promise<unknown>;
}

export interface Route {
  method: 'GET' | 'PUT';
  pattern: RegExp;
  handle(context: RouteContext): Reply | Promise<Reply>;
}

export interface RouteDependencies {
  state: CatalogState;
  agent: LocalAgent;
  self: () => { host: string; port: number };
  /** The one-line identity shown at GET / and in /v1/agent/self. */
  identity: string;
  random?: () => number;
}

/** The dependencies as each group of routes gets them: every default filled in once, by buildRoutes. */
export type ResolvedRouteDependencies = Required<RouteDependencies>;
