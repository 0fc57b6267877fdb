// An XdsPlan as the xDS v3 resources stock gRPC clients ask for: a Listener (api_listener with an inline route),
// an EDS Cluster carrying the policy, and the ClusterLoadAssignment with one locality per backend.
import type { XdsEndpoint, XdsPlan } from '../../core/xds/xds-plan.js';
import { Cluster, Cluster_DiscoveryType, Cluster_LbPolicy } from '../wire/gen/envoy/config/cluster/v3/cluster_subset.js';
import { ApiVersion, HealthStatus } from '../wire/gen/envoy/config/core/v3/core_subset.js';
import { ClusterLoadAssignment, type LbEndpoint, type LocalityLbEndpoints } from '../wire/gen/envoy/config/endpoint/v3/endpoint_subset.js';
import { Listener } from '../wire/gen/envoy/config/listener/v3/listener_subset.js';
import { Router } from '../wire/gen/envoy/extensions/filters/http/router/v3/router_subset.js';
import { HttpConnectionManager } from '../wire/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_subset.js';
import { PickFirst } from '../wire/gen/envoy/extensions/load_balancing_policies/pick_first/v3/pick_first_subset.js';
import { ClientSideWeightedRoundRobin } from '../wire/gen/envoy/extensions/load_balancing_policies/client_side_weighted_round_robin/v3/client_side_weighted_round_robin_subset.js';
import type { Any } from '../wire/gen/google/protobuf/any.js';
import { formatHostPort } from '../../core/host-port.js';

/** The name clients use: target `xds:///lbx-backend`; the Listener, route, Cluster and EDS service all carry it. */
export const XDS_SERVICE_NAME = 'lbx-backend';
/** The region of every locality; a zone is a backend's host:port (weighted plans) or "all" (equal weights). */
export const XDS_REGION = 'lbx';

const TYPE_PREFIX = 'type.googleapis.com/';
export const LISTENER_TYPE = `${TYPE_PREFIX}envoy.config.listener.v3.Listener`;
export const ROUTE_TYPE = `${TYPE_PREFIX}envoy.config.route.v3.RouteConfiguration`;
export const CLUSTER_TYPE = `${TYPE_PREFIX}envoy.config.cluster.v3.Cluster`;
export const ENDPOINT_TYPE = `${TYPE_PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`;
const HCM_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const ROUTER_TYPE = `${TYPE_PREFIX}envoy.extensions.filters.http.router.v3.Router`;
const PICK_FIRST_TYPE = `${TYPE_PREFIX}envoy.extensions.load_balancing_policies.pick_first.v3.PickFirst`;
const WRR_TYPE = `${TYPE_PREFIX}envoy.extensions.load_balancing_policies.client_side_weighted_round_robin.v3.ClientSideWeightedRoundRobin`;

const seconds = (value: number): { seconds: number; nanos: number } => ({ seconds: Math.floor(value), nanos: Math.round((value % 1) * 1e9) });

/**
 * weighted_round_robin as lbx asks for it: out-of-band ORCA reports every second (per-call reports cost grpc-js
 * a proto parse per call), weights recomputed every second, a new endpoint's weight used after 2 s of reports
 * (gRPC's default 10 s would make a lab wait), and dropped after 10 s without one (a silent backend falls back
 * to the mean weight rather than keeping an old one for gRPC's default 3 minutes).
 */
const CLIENT_SIDE_WRR: ClientSideWeightedRoundRobin = {
  enableOobLoadReport: true,
  oobReportingPeriod: seconds(1),
  blackoutPeriod: seconds(2),
  weightExpirationPeriod: seconds(10),
  weightUpdatePeriod: seconds(1),
  errorUtilizationPenalty: 1,
};

/** The resource types lbx serves, in the order a change is pushed (go-control-plane's: listeners before clusters before endpoints). */
export const SERVED_TYPES = [LISTENER_TYPE, CLUSTER_TYPE, ENDPOINT_TYPE] as const;
export type ServedType = (typeof SERVED_TYPES)[number];

/** Per type, resource name → encoded resource. */
export type ResourceSet = ReadonlyMap<ServedType, ReadonlyMap<string, Any>>;

const pack = (typeUrl: string, value: Uint8Array): Any => ({ typeUrl, value: Buffer.from(value) });

/** The Listener: an api_listener whose inline route sends everything to the cluster (hashing a header for ring_hash). */
function listener(plan: XdsPlan): Any {
  const hashPolicy = plan.mapping.hashHeader === undefined ? [] : [{ header: { headerName: plan.mapping.hashHeader }, terminal: false }];
  const manager = HttpConnectionManager.encode({
    statPrefix: XDS_SERVICE_NAME,
    routeConfig: {
      name: XDS_SERVICE_NAME,
      virtualHosts: [{ name: XDS_SERVICE_NAME, domains: ['*'], routes: [{ name: 'all', match: { prefix: '' }, route: { cluster: XDS_SERVICE_NAME, hashPolicy } }] }],
    },
    httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: pack(ROUTER_TYPE, Router.encode({}).finish()) }],
  }).finish();
  return pack(LISTENER_TYPE, Listener.encode({ name: XDS_SERVICE_NAME, apiListener: { apiListener: pack(HCM_TYPE, manager) } }).finish());
}

/** A Cluster whose policy is an xDS LoadBalancingPolicy extension (gRFC A52): clients that lack it NACK the Cluster. */
const policyExtension = (name: string, typeUrl: string, config: Uint8Array): Pick<Cluster, 'lbPolicy' | 'loadBalancingPolicy'> => ({
  lbPolicy: Cluster_LbPolicy.LOAD_BALANCING_POLICY_CONFIG,
  loadBalancingPolicy: { policies: [{ typedExtensionConfig: { name, typedConfig: pack(typeUrl, config) } }] },
});

type ClusterPolicy = Pick<Cluster, 'lbPolicy'> & Partial<Pick<Cluster, 'loadBalancingPolicy' | 'ringHashLbConfig'>>;

function clusterPolicy(plan: XdsPlan): ClusterPolicy {
  switch (plan.mapping.lbPolicy) {
    case 'ring_hash':
      return { lbPolicy: Cluster_LbPolicy.RING_HASH, ringHashLbConfig: { minimumRingSize: 1024, hashFunction: 0, maximumRingSize: 8_388_608 } };
    case 'pick_first':
      return policyExtension('pick_first', PICK_FIRST_TYPE, PickFirst.encode({ shuffleAddressList: false }).finish());
    case 'weighted_round_robin':
      return policyExtension('envoy.load_balancing_policies.client_side_weighted_round_robin', WRR_TYPE, ClientSideWeightedRoundRobin.encode(CLIENT_SIDE_WRR).finish());
    case 'round_robin':
      return { lbPolicy: Cluster_LbPolicy.ROUND_ROBIN };
  }
}

function cluster(plan: XdsPlan): Any {
  const message: Cluster = {
    name: XDS_SERVICE_NAME,
    type: Cluster_DiscoveryType.EDS,
    edsClusterConfig: { edsConfig: { ads: {}, resourceApiVersion: ApiVersion.V3 }, serviceName: XDS_SERVICE_NAME },
    loadBalancingPolicy: undefined,
    ...clusterPolicy(plan),
  };
  return pack(CLUSTER_TYPE, Cluster.encode(message).finish());
}

function lbEndpoint(endpoint: XdsEndpoint): LbEndpoint {
  return {
    endpoint: { address: { socketAddress: { protocol: 0, address: endpoint.host, portValue: endpoint.port } }, hostname: '' },
    healthStatus: endpoint.health === 'draining' ? HealthStatus.DRAINING : HealthStatus.HEALTHY,
    loadBalancingWeight: endpoint.weight,
  };
}

const zoneOf = (endpoint: XdsEndpoint): string => formatHostPort(endpoint.host, endpoint.port);

/**
 * Equal weights: one locality holding every endpoint, so a round_robin client cycles through them in turn.
 * Otherwise one locality per backend weighted like it: gRPC clients weigh localities (weighted_target) under
 * round_robin, and endpoint weights under ring_hash, so both are set.
 */
function localities(plan: XdsPlan): LocalityLbEndpoints[] {
  if (!plan.weighted) {
    if (plan.endpoints.length === 0) return [];
    return [{ locality: { region: XDS_REGION, zone: 'all', subZone: '' }, lbEndpoints: plan.endpoints.map(lbEndpoint), loadBalancingWeight: 1, priority: 0 }];
  }
  return plan.endpoints.map((endpoint) => ({
    locality: { region: XDS_REGION, zone: zoneOf(endpoint), subZone: '' },
    lbEndpoints: [lbEndpoint(endpoint)],
    loadBalancingWeight: endpoint.weight,
    priority: 0,
  }));
}

function endpoints(plan: XdsPlan): Any {
  return pack(ENDPOINT_TYPE, ClusterLoadAssignment.encode({ clusterName: XDS_SERVICE_NAME, endpoints: localities(plan) }).finish());
}

/** The whole resource set for a plan: every type lbx serves, each with its one resource. */
export function buildResources(plan: XdsPlan): ResourceSet {
  return new Map<ServedType, ReadonlyMap<string, Any>>([
    [LISTENER_TYPE, new Map([[XDS_SERVICE_NAME, listener(plan)]])],
    [CLUSTER_TYPE, new Map([[XDS_SERVICE_NAME, cluster(plan)]])],
    [ENDPOINT_TYPE, new Map([[XDS_SERVICE_NAME, endpoints(plan)]])],
  ]);
}

export const isServedType = (typeUrl: string): typeUrl is ServedType => (SERVED_TYPES as readonly string[]).includes(typeUrl);
