// The endpoints of the Consul HTTP API subset: what each one reads from the catalog or asks of the agent.

import { blockWhileUnchanged, parseBlockingParams } from './blocking-query.js';
import { DATACENTER, type CatalogState, type ServiceInstanceRecord } from './catalog-state.js';
import {
  renderAgentService,
  renderCatalogService,
  renderCheck,
  renderNode,
  renderNodeCheck,
  renderService,
} from './consul-json.js';
import { decodeFailed, HttpError } from './http-error.js';
import { FieldReader, isJsonObject } from './json-fields.js';
import type { LocalAgent } from './local-agent.js';
import { isCheckStatus, parseServiceDefinition, type CheckStatus } from './service-definition.js';

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

/** `?passing`, `?passing=true`, `?passing=false` as Consul reads boolean query flags. */
function readBooleanParam(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  if (value === null) return false;
  if (['', '1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw new HttpError(400, `Invalid value for ?${name}: ${JSON.stringify(value)}`);
}

const hasAllTags = (instance: ServiceInstanceRecord, tags: readonly string[]): boolean =>
  tags.every((tag) => instance.service.definition.tags.includes(tag));

const unknownServiceId = (id: string): HttpError =>
  new HttpError(404, `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.`);

const unknownCheckId = (id: string): HttpError =>
  new HttpError(404, `Unknown check ID ${JSON.stringify(id)}. Ensure that the check ID is passed, not the check name.`);

/** Every route, most specific first; http-api.ts picks the first whose pattern and method match. */
export function buildRoutes({ state, agent, self, identity, random = Math.random }: RouteDependencies): Route[] {
  const selfAddress = (): string => {
    const { host, port } = self();
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  };

  const updateTtl = (checkId: string, status: CheckStatus, output: string): Reply => {
    const result = agent.updateTtlCheck(checkId, status, output);
    if (result === 'unknown-check') throw unknownCheckId(checkId);
    if (result === 'not-ttl') throw new HttpError(500, `CheckID ${JSON.stringify(checkId)} does not have associated TTL`);
    return {};
  };

  const ttlRoute = (verb: 'pass' | 'warn' | 'fail', status: CheckStatus): Route => ({
    method: 'PUT',
    pattern: new RegExp(`^/v1/agent/check/${verb}/(.+)$`),
    handle: ({ params: [checkId = ''], query }) => updateTtl(checkId, status, query.get('note') ?? ''),
  });

  return [
    { method: 'GET', pattern: /^\/$/, handle: () => ({ text: rootText(identity) }) },
    {
      method: 'GET',
      pattern: /^\/v1\/agent\/self$/,
      handle: () => {
        const { host, port } = self();
        return {
          json: {
            Config: {
              Datacenter: DATACENTER,
              PrimaryDatacenter: DATACENTER,
              NodeName: state.node.name,
              NodeID: state.node.id,
              Server: true,
              Revision: '',
              Version: 'lbx-embedded',
              Description: identity,
            },
            Member: {
              Name: state.node.name,
              Addr: host,
              Port: port,
              Tags: { role: 'consul', dc: DATACENTER, bootstrap: '1', build: 'lbx-embedded', id: state.node.id },
              Status: 1,
            },
            Meta: {},
            Stats: { registry: { kind: 'lbx-embedded', nodes: '1', replicated: 'false' } },
          },
        };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/agent\/services$/,
      handle: () => ({
        json: Object.fromEntries(state.allServices().map((service) => [service.definition.id, renderAgentService(service, state.node)])),
      }),
    },
    {
      method: 'GET',
      pattern: /^\/v1\/agent\/service\/(?!register$|deregister\/|maintenance\/)(.+)$/,
      handle: ({ params: [id = ''] }) => {
        const service = state.service(id);
        if (service === undefined) throw new HttpError(404, `unknown service ID: ${id}`);
        return { json: renderAgentService(service, state.node) };
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/agent\/checks$/,
      handle: () => ({
        json: Object.fromEntries(
          state
            .allChecks()
            .map((check) => [check.definition.checkId, renderCheck(check, state.service(check.serviceId), state.node)]),
        ),
      }),
    },
    {
      method: 'PUT',
      pattern: /^\/v1\/agent\/service\/register$/,
      handle: async ({ readJson }) => {
        const body = await readJson();
        if (body === undefined) throw new HttpError(400, 'Request decode failed: the body is empty; expected a service definition');
        agent.registerService(parseServiceDefinition(body));
        return {};
      },
    },
    {
      method: 'PUT',
      pattern: /^\/v1\/agent\/service\/deregister\/(.+)$/,
      handle: ({ params: [id = ''] }) => {
        if (!agent.deregisterService(id, 'api')) throw unknownServiceId(id);
        return {};
      },
    },
    ttlRoute('pass', 'passing'),
    ttlRoute('warn', 'warning'),
    ttlRoute('fail', 'critical'),
    {
      method: 'PUT',
      pattern: /^\/v1\/agent\/check\/update\/(.+)$/,
      handle: async ({ params: [checkId = ''], readJson }) => {
        const body = await readJson();
        if (!isJsonObject(body)) throw decodeFailed('the body must be a JSON object with Status and Output');
        const fields = new FieldReader(body);
        const status = fields.string('Status') ?? '';
        if (!isCheckStatus(status)) throw new HttpError(400, `Invalid check status: ${JSON.stringify(status)}`);
        return updateTtl(checkId, status, fields.string('Output') ?? '');
      },
    },
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
            Checks: [
              renderNodeCheck(state.node),
              ...instance.checks.map((check) => renderCheck(check, instance.service, state.node)),
            ],
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
        const json = state
          .instancesOf(name)
          .flatMap((instance) => instance.checks.map((check) => renderCheck(check, instance.service, state.node)));
        return { json, index: indexOf() };
      },
    },
    { method: 'GET', pattern: /^\/v1\/status\/leader$/, handle: () => ({ json: selfAddress() }) },
    { method: 'GET', pattern: /^\/v1\/status\/peers$/, handle: () => ({ json: [selfAddress()] }) },
  ];
}
