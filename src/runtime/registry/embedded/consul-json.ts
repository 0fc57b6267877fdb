// Renders catalog records in Consul's JSON shapes: PascalCase fields, empty arrays rather than null.

import { NODE_CHECK_ID, type CheckRecord, type NodeRecord, type ServiceRecord } from './catalog-state.js';
import { formatGoDuration } from './go-duration.js';
import { describeProbe } from './service-definition.js';

const taggedAddresses = (node: NodeRecord): Record<string, string> => ({
  lan: node.address,
  lan_ipv4: node.address,
  wan: node.address,
  wan_ipv4: node.address,
});

const nodeMeta = (): Record<string, string> => ({ 'consul-network-segment': '' });

export function renderNode(node: NodeRecord): Record<string, unknown> {
  return {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: taggedAddresses(node),
    Meta: nodeMeta(),
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

/** The node's serfHealth check: this registry is its own only node, so the node is always alive. */
export function renderNodeCheck(node: NodeRecord): Record<string, unknown> {
  return {
    Node: node.name,
    CheckID: NODE_CHECK_ID,
    Name: 'Serf Health Status',
    Status: 'passing',
    Notes: '',
    Output: 'Agent alive and reachable',
    ServiceID: '',
    ServiceName: '',
    ServiceTags: [],
    Type: '',
    Interval: '',
    Timeout: '',
    ExposedPort: 0,
    Definition: {},
    CreateIndex: node.createIndex,
    ModifyIndex: node.modifyIndex,
  };
}

export function renderCheck(check: CheckRecord, service: ServiceRecord | undefined, node: NodeRecord): Record<string, unknown> {
  const { probe, deregisterCriticalAfterMs } = check.definition;
  const shown = describeProbe(probe);
  const definition: Record<string, unknown> = {};
  if (probe.type === 'tcp') Object.assign(definition, { TCP: probe.target, Interval: shown.interval, Timeout: shown.timeout });
  if (probe.type === 'ttl') definition['TTL'] = shown.ttl;
  if (deregisterCriticalAfterMs !== undefined) {
    definition['DeregisterCriticalServiceAfter'] = formatGoDuration(deregisterCriticalAfterMs);
  }
  return {
    Node: node.name,
    CheckID: check.definition.checkId,
    Name: check.definition.name,
    Status: check.status,
    Notes: check.definition.notes,
    Output: check.output,
    ServiceID: check.serviceId,
    ServiceName: service?.definition.name ?? '',
    ServiceTags: service?.definition.tags ?? [],
    Type: probe.type,
    Interval: shown.interval,
    Timeout: shown.timeout,
    ExposedPort: 0,
    Definition: definition,
    CreateIndex: check.createIndex,
    ModifyIndex: check.modifyIndex,
  };
}

const weights = (service: ServiceRecord): Record<string, number> => ({
  Passing: service.definition.weights.passing,
  Warning: service.definition.weights.warning,
});

/** A service as /v1/health/service nests it under "Service". */
export function renderService(service: ServiceRecord): Record<string, unknown> {
  const { definition } = service;
  return {
    Kind: '',
    ID: definition.id,
    Service: definition.name,
    Tags: definition.tags,
    Address: definition.address,
    Meta: definition.meta,
    Port: definition.port,
    Weights: weights(service),
    EnableTagOverride: definition.enableTagOverride,
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}

/** A service as /v1/agent/services lists it (no indexes). */
export function renderAgentService(service: ServiceRecord, node: NodeRecord): Record<string, unknown> {
  const { definition } = service;
  return {
    Kind: '',
    ID: definition.id,
    Service: definition.name,
    Tags: definition.tags,
    Meta: definition.meta,
    Port: definition.port,
    Address: definition.address,
    Weights: weights(service),
    EnableTagOverride: definition.enableTagOverride,
    Datacenter: node.datacenter,
  };
}

/** A service as /v1/catalog/service flattens it together with its node. */
export function renderCatalogService(service: ServiceRecord, node: NodeRecord): Record<string, unknown> {
  const { definition } = service;
  return {
    ID: node.id,
    Node: node.name,
    Address: node.address,
    Datacenter: node.datacenter,
    TaggedAddresses: taggedAddresses(node),
    NodeMeta: nodeMeta(),
    ServiceKind: '',
    ServiceID: definition.id,
    ServiceName: definition.name,
    ServiceTags: definition.tags,
    ServiceAddress: definition.address,
    ServiceWeights: weights(service),
    ServiceMeta: definition.meta,
    ServicePort: definition.port,
    ServiceEnableTagOverride: definition.enableTagOverride,
    CreateIndex: service.createIndex,
    ModifyIndex: service.modifyIndex,
  };
}
