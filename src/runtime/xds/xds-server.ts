// The LB's xDS listener: a gRPC server on its own port serving ADS from the Balancer's membership.
import type { Balancer, BalancerStats } from '../../core/balancer.js';
import { hostOf } from '../../core/host-port.js';
import { DEFAULT_STALE_AFTER_MS } from '../../core/load/backend-load.js';
import { planXds, type XdsBackendInput, type XdsLoadWeights, type XdsPlan } from '../../core/xds/xds-plan.js';
import { startGrpcServer } from '../grpc/grpc-server.js';
import { XdsAdminService } from '../wire/gen/lbx/v1/xds_admin.js';
import { createXdsAdmin } from './xds-admin.js';
import { XdsControlPlane, type XdsEvent, type XdsStatus } from './xds-control-plane.js';

export interface XdsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly balancer: Balancer;
  /** Where stock clients get a load-aware policy's weights (default `lb`: pushed in EDS). */
  readonly loadWeights?: XdsLoadWeights;
  readonly onEvent: (event: XdsEvent) => void;
}

export interface RunningXdsServer {
  readonly address: string;
  /** Call on every membership, health or policy change: pushes to every client once the current burst of changes ends. */
  publish(): void;
  status(): XdsStatus;
  stop(): Promise<void>;
}

/**
 * How long a backend that left gracefully (`rm`, `scale` down, `down`) stays in EDS as DRAINING: its stop is the
 * LB and registry leaving (≤ 4 s), a 200 ms grace and its drain (≤ 5 s). Clients send it no new calls (gRPC keeps only
 * HEALTHY and UNKNOWN endpoints); Envoy-style clients also let calls on it finish before closing.
 */
export const DRAINING_ADVERTISED_MS = 10_000;
const GRACEFUL_REASON = 'graceful';

const isDraining = (member: BalancerStats['backends'][number], nowUnixMs: number): boolean =>
  member.state === 'removed' && member.removedReason === GRACEFUL_REASON && nowUnixMs - member.leftAtUnixMs < DRAINING_ADVERTISED_MS;

/** What stock clients are told of: serving members not ejected by outlier detection (in flight from fresh reports), and draining ones. */
export function backendsForXds(stats: BalancerStats, nowUnixMs = Date.now()): XdsBackendInput[] {
  return stats.backends
    .filter((member) => (member.state === 'serving' && !member.ejected) || isDraining(member, nowUnixMs))
    .map((member) => {
      const colon = member.address.lastIndexOf(':');
      return {
        host: hostOf(member.address),
        port: Number(member.address.slice(colon + 1)),
        weight: member.weight,
        inFlight:
          member.lastReport !== undefined && member.lastReportAgeMs !== undefined && member.lastReportAgeMs <= DEFAULT_STALE_AFTER_MS ? member.lastReport.inFlight : undefined,
        health: member.state === 'serving' ? ('healthy' as const) : ('draining' as const),
        slowStartFactor: member.slowStartFactor,
      };
    });
}

export const planFromBalancer = (balancer: Balancer, loadWeights: XdsLoadWeights = 'lb'): XdsPlan => {
  const stats = balancer.stats();
  return planXds(stats.policy, backendsForXds(stats), loadWeights);
};

export async function startXdsServer(options: XdsServerOptions): Promise<RunningXdsServer> {
  const controlPlane = new XdsControlPlane({ plan: () => planFromBalancer(options.balancer, options.loadWeights), onEvent: options.onEvent });
  let server;
  try {
    server = await startGrpcServer(options.host, options.port, [
      { name: 'envoy.service.discovery.v3.AggregatedDiscoveryService', definition: controlPlane.service, implementation: controlPlane.implementation },
      { name: 'lbx.v1.XdsAdmin', definition: XdsAdminService, implementation: createXdsAdmin(() => controlPlane.status()) },
    ]);
  } catch (error) {
    controlPlane.close();
    throw error;
  }
  const running = server;
  // Balancer events come in bursts (a registry snapshot joins several members, one at a time) and from inside
  // its own methods: publishing once, after the burst, sees a consistent membership and sends one push.
  let isScheduled = false;
  const publishSoon = (): void => {
    if (isScheduled) return;
    isScheduled = true;
    queueMicrotask(() => {
      isScheduled = false;
      controlPlane.publish();
    });
  };
  return {
    address: running.address,
    publish: publishSoon,
    status: () => controlPlane.status(),
    stop: async () => {
      controlPlane.close();
      await running.stop(0);
    },
  };
}
