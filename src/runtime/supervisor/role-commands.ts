// The command line for each child role: `lbx serve <role> …` for lbx's own, `lbx serve guard -- consul|etcd …` for a real registry.
import path from 'node:path';

import type { SuccessRateConfig } from '../../core/health/success-rate.js';
import type { PolicyConfig } from '../../core/policies/policy.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { backendMetricsPort, hasBackendMetricsPort, type PortLayout } from '../cluster/ports.js';
import { backendCommandPrefix, lbCommandPrefix, lbxCommandPrefix } from '../process/lbx-entry.js';
import { tokenFile } from '../cluster/cluster-token.js';
import { formatHostPort } from '../../core/host-port.js';

export interface RoleCommand {
  readonly file: string;
  readonly args: string[];
}

/** A command prefix (node, its flags, an entry script) with the role's own argv after it. */
const withPrefix = (prefix: RoleCommand, args: string[]): RoleCommand => ({ file: prefix.file, args: [...prefix.args, ...args] });
const lbx = (args: string[]): RoleCommand => withPrefix(lbxCommandPrefix(), args);

/** `--cluster-dir` marks every child's argv, so a stale cluster's pids can be verified before they are signalled. */
const marker = (clusterDir: string): string[] => ['--cluster-dir', clusterDir];

/** The LB requires the cluster token on state-changing calls; backends send it (see bearer-token.ts). */
const token = (clusterDir: string): string[] => ['--token-file', tokenFile({ dir: clusterDir })];

/** Which registry the roles talk to and under which name (etcd's key prefix): every role of a cluster gets the same. */
const registryFlags = (spec: ClusterSpec): string[] => ['--registry', spec.registry, '--cluster', spec.name];

/** etcd's data directory: inside the cluster directory, so a restart after a crash finds the cluster's keys and `down` removes it. */
export const etcdDataDir = (clusterDir: string): string => path.join(clusterDir, 'etcd');

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);
/** A host as it goes into a URL: IPv6 in brackets. */
const urlHost = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

export function registryCommand(spec: ClusterSpec, ports: PortLayout, clusterDir: string): RoleCommand {
  if (spec.registry === 'embedded') {
    return lbx(['serve', 'registry', '--host', spec.host, '--port', String(ports.registryHttp), ...marker(clusterDir)]);
  }
  if (spec.registry === 'etcd') {
    return lbx(['serve', 'guard', ...marker(clusterDir), '--', spec.etcdBinary ?? 'etcd', ...etcdArgs(spec, ports, clusterDir)]);
  }
  // Dev mode keeps its data in memory; every port is set so two clusters (or a user's own agent) never collide.
  const consulArgs = [
    'agent',
    '-dev',
    '-node',
    `lbx-${spec.name}`,
    '-bind',
    '127.0.0.1',
    '-client',
    spec.host,
    '-http-port',
    String(ports.registryHttp),
    '-server-port',
    String(ports.consulServer),
    '-serf-lan-port',
    String(ports.consulSerfLan),
    '-serf-wan-port',
    String(ports.consulSerfWan),
    '-dns-port',
    '-1',
    '-grpc-port',
    '-1',
    // -dev also opens gRPC-TLS on the fixed port 8503: outside the cluster's layout, so two clusters would collide.
    '-grpc-tls-port',
    '-1',
  ];
  return lbx(['serve', 'guard', ...marker(clusterDir), '--', spec.consulBinary ?? 'consul', ...consulArgs]);
}

/**
 * A one-member etcd cluster: client URL on the registry port, peer URL on base+103, both on the
 * cluster's host. A wildcard host is listened on but cannot be advertised: members and clients are told loopback.
 */
function etcdArgs(spec: ClusterSpec, ports: PortLayout, clusterDir: string): string[] {
  const member = `lbx-${spec.name}`;
  const listenHost = urlHost(spec.host);
  const advertisedHost = urlHost(WILDCARD_HOSTS.has(spec.host) ? '127.0.0.1' : spec.host);
  const peerUrl = `http://${advertisedHost}:${ports.etcdPeer}`;
  return [
    '--name',
    member,
    '--data-dir',
    etcdDataDir(clusterDir),
    '--listen-client-urls',
    `http://${listenHost}:${ports.registryHttp}`,
    '--advertise-client-urls',
    `http://${advertisedHost}:${ports.registryHttp}`,
    '--listen-peer-urls',
    `http://${listenHost}:${ports.etcdPeer}`,
    '--initial-advertise-peer-urls',
    peerUrl,
    '--initial-cluster',
    `${member}=${peerUrl}`,
    // Ignored once the data directory holds a member: a restart after a crash rejoins with its keys.
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    member,
    // etcd 3.4's default logger is deprecated and says so on every start.
    '--logger',
    'zap',
    '--log-outputs',
    'stderr',
  ];
}

export function lbCommand(spec: ClusterSpec, ports: PortLayout, registryAddress: string, clusterDir: string): RoleCommand {
  return withPrefix(lbCommandPrefix(), [
    'serve',
    'lb',
    '--host',
    spec.host,
    '--port',
    String(ports.lb),
    '--policy',
    spec.policy,
    '--mode',
    spec.mode,
    '--registry-addr',
    registryAddress,
    ...registryFlags(spec),
    '--report-interval',
    String(spec.reportIntervalMs),
    '--check-interval',
    String(spec.checkIntervalMs),
    ...policyConfigArgs(spec.policyConfig),
    ...(spec.slowStartMs === undefined ? [] : ['--slow-start', `${spec.slowStartMs}ms`]),
    ...successRateArgs(spec.successRate),
    ...(spec.outlierDetection === false ? ['--outlier-detection', 'off'] : []),
    ...(spec.xdsLoadWeights === undefined ? [] : ['--xds-load-weights', spec.xdsLoadWeights]),
    '--metrics-port',
    String(ports.lbMetrics),
    '--xds-port',
    String(ports.lbXds),
    ...token(clusterDir),
    ...marker(clusterDir),
  ]);
}

function policyConfigArgs(config: PolicyConfig): string[] {
  return [
    ...(config.ringSlots === undefined ? [] : ['--ring-slots', String(config.ringSlots)]),
    ...(config.virtualNodes === undefined ? [] : ['--vnodes', String(config.virtualNodes)]),
    ...(config.ringHash === undefined ? [] : ['--ring-hash', config.ringHash]),
    ...(config.hashBalance === undefined ? [] : ['--hash-balance', String(config.hashBalance)]),
  ];
}

/** The registry instance id of the backend on `port`; the supervisor deregisters it by this id when it exits. */
export const backendId = (port: number): string => `backend-${port}`;

/** What a backend is started with; `up --speeds/--weights` or `lbx add --speed/--weight`. */
export interface BackendTraits {
  readonly speed: number;
  readonly weight: number;
}

export function backendCommand(spec: ClusterSpec, traits: BackendTraits, port: number, registryAddress: string, lbAddress: string, clusterDir: string): RoleCommand {
  return withPrefix(backendCommandPrefix(), [
    'serve',
    'backend',
    '--id',
    backendId(port),
    '--host',
    spec.host,
    '--port',
    String(port),
    '--registry-addr',
    registryAddress,
    ...registryFlags(spec),
    '--lb-addr',
    lbAddress,
    '--report-interval',
    String(spec.reportIntervalMs),
    '--check-interval',
    String(spec.checkIntervalMs),
    '--heavy-work-units',
    String(spec.heavyWorkUnits),
    '--weight',
    String(traits.weight),
    '--speed',
    String(traits.speed),
    // A dense cluster's backends past the 64th have no metrics port in the layout.
    ...(hasBackendMetricsPort(spec.basePort, port) ? ['--metrics-port', String(backendMetricsPort(port))] : []),
    ...token(clusterDir),
    ...marker(clusterDir),
  ]);
}

/** A backend host of a dense cluster (`up --backend-processes K`): the supervisor tells it over IPC which backends to run. */
export const backendHostCommand = (clusterDir: string, backendsPerThread: number): RoleCommand =>
  lbx(['serve', 'backend-host', '--backends-per-thread', String(backendsPerThread), ...marker(clusterDir)]);

/** The data-plane role (`up --proxy haproxy|nginx`): the proxy on base+108, following the LB's plan on base+107. */
export function dataPlaneCommand(spec: ClusterSpec, ports: PortLayout, clusterDir: string): RoleCommand | undefined {
  if (spec.dataPlane === undefined) return undefined;
  const advertisedHost = WILDCARD_HOSTS.has(spec.host) ? '127.0.0.1' : spec.host;
  return lbx([
    'serve',
    'dataplane',
    '--kind',
    spec.dataPlane,
    ...(spec.dataPlaneBinary === undefined ? [] : ['--binary', spec.dataPlaneBinary]),
    '--host',
    spec.host,
    '--port',
    String(ports.dataPlane),
    '--xds-addr',
    formatHostPort(advertisedHost, ports.lbXds),
    '--backend-host',
    advertisedHost,
    '--base-port',
    String(ports.basePort),
    '--timeout',
    `${spec.readyTimeoutMs}ms`,
    ...marker(clusterDir),
  ]);
}

/** `serve lb`'s success-rate flags (cli/outlier-flags.ts) for settings that are not the defaults. */
function successRateArgs(config: SuccessRateConfig | undefined): string[] {
  if (config === undefined) return [];
  const { stdevFactor, enforcementPercent, minimumHosts, requestVolume } = config;
  return [
    ['--success-rate-stdev-factor', stdevFactor],
    ['--success-rate-enforcement', enforcementPercent],
    ['--success-rate-minimum-hosts', minimumHosts],
    ['--success-rate-request-volume', requestVolume],
  ].flatMap(([flag, value]) => [String(flag), String(value)]);
}
