// /v1/agent/*: what the local agent holds (reads) and what it is asked to do (register, deregister, TTL updates).

import { DATACENTER, type CatalogState } from './catalog-state.js';
import { renderAgentService, renderCheck } from './consul-json.js';
import { decodeFailed, HttpError } from './http-error.js';
import { FieldReader, isJsonObject } from './json-fields.js';
import type { LocalAgent } from './local-agent.js';
import type { Reply, ResolvedRouteDependencies, Route } from './route.js';
import { isCheckStatus, parseServiceDefinition, type CheckStatus } from './service-definition.js';

const unknownServiceId = (id: string): HttpError => new HttpError(404, `Unknown service ID ${JSON.stringify(id)}. Ensure that the service ID is passed, not the service name.`);

const unknownCheckId = (id: string): HttpError => new HttpError(404, `Unknown check ID ${JSON.stringify(id)}. Ensure that the check ID is passed, not the check name.`);

/** The agent routes, reads first, in the order buildRoutes has always listed them. */
export function agentRoutes(dependencies: ResolvedRouteDependencies): Route[] {
  return [...agentReadRoutes(dependencies), ...agentWriteRoutes(dependencies)];
}

/** GET /v1/agent/self: the Config and Member a Consul client looks for, naming this registry for what it is. */
function renderAgentSelf(state: CatalogState, identity: string, host: string, port: number): unknown {
  return {
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
  };
}

function agentReadRoutes({ state, self, identity }: ResolvedRouteDependencies): Route[] {
  return [
    {
      method: 'GET',
      pattern: /^\/v1\/agent\/self$/,
      handle: () => {
        const { host, port } = self();
        return { json: renderAgentSelf(state, identity, host, port) };
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
        json: Object.fromEntries(state.allChecks().map((check) => [check.definition.checkId, renderCheck(check, state.service(check.serviceId), state.node)])),
      }),
    },
  ];
}

function updateTtl(agent: LocalAgent, checkId: string, status: CheckStatus, output: string): Reply {
  const result = agent.updateTtlCheck(checkId, status, output);
  if (result === 'unknown-check') throw unknownCheckId(checkId);
  if (result === 'not-ttl') throw new HttpError(500, `CheckID ${JSON.stringify(checkId)} does not have associated TTL`);
  return {};
}

function agentWriteRoutes({ agent }: ResolvedRouteDependencies): Route[] {
  const ttlRoute = (verb: 'pass' | 'warn' | 'fail', status: CheckStatus): Route => ({
    method: 'PUT',
    pattern: new RegExp(`^/v1/agent/check/${verb}/(.+)$`),
    handle: ({ params: [checkId = ''], query }) => updateTtl(agent, checkId, status, query.get('note') ?? ''),
  });

  return [
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
        return updateTtl(agent, checkId, status, fields.string('Output') ?? '');
      },
    },
  ];
}
