// The command line for each child role: `lbx serve <role> …` for lbx's own, `lbx serve guard -- consul …` for Consul.
import type { PolicyConfig } from '../../core/policies/policy.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import type { PortLayout } from '../cluster/ports.js';
import { lbxCommandPrefix } from '../process/lbx-entry.js';
import { tokenFile } from '../grpc/bearer-token.js';

export interface RoleCommand {
  readonly file: string;
  readonly args: string[];
}

const lbx = (args: string[]): RoleCommand => {
  const prefix = lbxCommandPrefix();
  return { file: prefix.file, args: [...prefix.args, ...args] };
};

/** `--cluster-dir` marks every child's argv, so a stale cluster's pids can be verified before they are signalled. */
const marker = (clusterDir: string): string[] => ['--cluster-dir', clusterDir];

/** The LB requires the cluster token on state-changing calls; backends send it (see bearer-token.ts). */
const token = (clusterDir: string): string[] => ['--token-file', tokenFile({ dir: clusterDir })];

export function registryCommand(spec: ClusterSpec, ports: PortLayout, clusterDir: string): RoleCommand {
  if (spec.registry === 'embedded') {
    return lbx(['serve', 'registry', '--host', spec.host, '--port', String(ports.registryHttp), ...marker(clusterDir)]);
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

export function lbCommand(spec: ClusterSpec, ports: PortLayout, registryAddress: string, clusterDir: string): RoleCommand {
  return lbx([
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
    '--report-interval',
    String(spec.reportIntervalMs),
    '--check-interval',
    String(spec.checkIntervalMs),
    ...policyConfigArgs(spec.policyConfig),
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

export function backendCommand(
  spec: ClusterSpec,
  traits: BackendTraits,
  port: number,
  registryAddress: string,
  lbAddress: string,
  clusterDir: string,
): RoleCommand {
  return lbx([
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
    ...token(clusterDir),
    ...marker(clusterDir),
  ]);
}
