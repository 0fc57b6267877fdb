// The fixed port layout of a cluster, derived from one base port so users can type `lbx kill 7003`.
//
// Listeners stay below 32768: Linux hands out client-side ports from 32768–60999 and a
// listener there can collide with a client socket left in TIME_WAIT.
import type { RegistryKind } from './cluster-spec.js';

export const DEFAULT_BASE_PORT = 7000;
export const MAX_BACKENDS = 64;
/**
 * Backends a dense cluster (`up --backend-processes K`) may have. Those past the 64th take ports
 * base+200 … base+391 and serve no metrics listener of their own (base+111 … base+174 are full).
 */
export const MAX_DENSE_BACKENDS = 256;
const EXTRA_BACKENDS_OFFSET = 200;
/** The last port a dense cluster of `backends` binds, to check it stays below 32768. */
export const lastBackendPort = (basePort: number, backends: number): number => portLayout(basePort).backend(backends - 1);
/** Whether the backend on `port` of the cluster at `basePort` has a metrics listener (base+1 … base+64 do). */
export const hasBackendMetricsPort = (basePort: number, port: number): boolean => port > basePort && port <= basePort + MAX_BACKENDS;
export const MIN_BASE_PORT = 1024;
/** The highest base port whose whole layout (up to the last backend's metrics port, base+174) stays below 32768. */
export const MAX_BASE_PORT = 32_767 - 174;

/** Offsets from the base port. Backends take base+1 … base+MAX_BACKENDS. */
const LB_OFFSET = 100;
const CONTROL_OFFSET = 101;
const REGISTRY_HTTP_OFFSET = 102;
/** Consul's own server and serf ports, used only when a real consul agent runs. */
const CONSUL_SERVER_OFFSET = 103;
const CONSUL_SERF_LAN_OFFSET = 104;
const CONSUL_SERF_WAN_OFFSET = 105;
/** etcd's peer port, used only when a real etcd runs (its client port is the registry port). Shares base+103 with consul's server port: a cluster runs one registry. */
const ETCD_PEER_OFFSET = 103;
/** The LB's Prometheus metrics (HTTP): base+106. */
const LB_METRICS_OFFSET = 106;
/** The LB's xDS control plane (ADS over gRPC) for stock gRPC clients: base+107. */
const LB_XDS_OFFSET = 107;
/** The listener of a stock data plane (HAProxy, NGINX: `up --mode proxy --proxy haproxy|nginx`): base+108. */
const DATA_PLANE_OFFSET = 108;
/**
 * A backend's Prometheus metrics (HTTP) sit this far above its gRPC port: base+111 … base+174.
 * The layout stays under 200 ports wide, so clusters 200 apart never share a port.
 */
export const BACKEND_METRICS_PORT_OFFSET = 110;

/** The metrics port of the LB listening on `lbPort` (base+100 → base+106). */
export const lbMetricsPort = (lbPort: number): number => lbPort - LB_OFFSET + LB_METRICS_OFFSET;
/** The xDS port of the LB listening on `lbPort` (base+100 → base+107). */
export const lbXdsPort = (lbPort: number): number => lbPort - LB_OFFSET + LB_XDS_OFFSET;
/** The data plane's port of the cluster whose LB listens on `lbPort` (base+100 → base+108). */
export const dataPlanePort = (lbPort: number): number => lbPort - LB_OFFSET + DATA_PLANE_OFFSET;
/** The metrics port of the backend listening on `backendPort` (base+1 → base+111). */
export const backendMetricsPort = (backendPort: number): number => backendPort + BACKEND_METRICS_PORT_OFFSET;

/** Where a supervised LB or backend serves its metrics (host:port), from its own gRPC address; none for other roles. */
export function metricsAddressOf(role: string, address: string, basePort?: number): string | undefined {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return undefined;
  if (role === 'lb') return `${address.slice(0, colon)}:${lbMetricsPort(port)}`;
  if (role === 'backend' && basePort !== undefined && !hasBackendMetricsPort(basePort, port)) return undefined;
  if (role === 'backend') return `${address.slice(0, colon)}:${backendMetricsPort(port)}`;
  return undefined;
}

export interface PortLayout {
  readonly basePort: number;
  readonly lb: number;
  readonly control: number;
  readonly registryHttp: number;
  readonly consulServer: number;
  readonly consulSerfLan: number;
  readonly consulSerfWan: number;
  readonly etcdPeer: number;
  readonly lbMetrics: number;
  readonly lbXds: number;
  /** A stock data plane's listener (HAProxy, NGINX), when the cluster runs one. */
  readonly dataPlane: number;
  /** Port of backend number `index` (0-based). */
  backend(index: number): number;
  /** Metrics port of backend number `index` (0-based). */
  backendMetrics(index: number): number;
}

export function portLayout(basePort: number): PortLayout {
  return {
    basePort,
    lb: basePort + LB_OFFSET,
    control: basePort + CONTROL_OFFSET,
    registryHttp: basePort + REGISTRY_HTTP_OFFSET,
    consulServer: basePort + CONSUL_SERVER_OFFSET,
    consulSerfLan: basePort + CONSUL_SERF_LAN_OFFSET,
    consulSerfWan: basePort + CONSUL_SERF_WAN_OFFSET,
    etcdPeer: basePort + ETCD_PEER_OFFSET,
    lbMetrics: basePort + LB_METRICS_OFFSET,
    lbXds: basePort + LB_XDS_OFFSET,
    dataPlane: basePort + DATA_PLANE_OFFSET,
    backend: (index) => (index < MAX_BACKENDS ? basePort + 1 + index : basePort + EXTRA_BACKENDS_OFFSET + index - MAX_BACKENDS),
    backendMetrics: (index) => backendMetricsPort(basePort + 1 + index),
  };
}

/** host:port of the xDS control plane of the LB at `lbAddress` (host:base+100 → host:base+107). */
export function xdsAddressOf(lbAddress: string): string {
  const colon = lbAddress.lastIndexOf(':');
  return `${lbAddress.slice(0, colon)}:${lbXdsPort(Number(lbAddress.slice(colon + 1)))}`;
}

/** Every port `up` will bind, in start order, each with the component that binds it. */
export function portsToBind(layout: PortLayout, backends: number, registry: RegistryKind, dataPlane?: string): Array<{ port: number; component: string }> {
  const ports = [
    { port: layout.control, component: 'supervisor control API' },
    { port: layout.registryHttp, component: `registry (${registry})` },
  ];
  if (registry === 'consul') {
    ports.push(
      { port: layout.consulServer, component: 'consul server' },
      { port: layout.consulSerfLan, component: 'consul serf LAN' },
      { port: layout.consulSerfWan, component: 'consul serf WAN' },
    );
  }
  if (registry === 'etcd') ports.push({ port: layout.etcdPeer, component: 'etcd peer' });
  ports.push(
    { port: layout.lb, component: 'load balancer' },
    { port: layout.lbMetrics, component: 'load balancer metrics' },
    { port: layout.lbXds, component: 'load balancer xDS' },
  );
  if (dataPlane !== undefined) ports.push({ port: layout.dataPlane, component: `data plane (${dataPlane})` });
  for (let index = 0; index < backends; index += 1) {
    ports.push({ port: layout.backend(index), component: `backend ${index + 1}` });
    if (index < MAX_BACKENDS) ports.push({ port: layout.backendMetrics(index), component: `backend ${index + 1} metrics` });
  }
  return ports;
}
