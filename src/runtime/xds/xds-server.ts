// The LB's xDS listener: a gRPC server on its own port serving ADS from the Balancer's membership.
import type { Balancer, BalancerStats } from '../../core/balancer.js';
import { hostOf } from '../../core/host-port.js';
import { DEFAULT_STALE_AFTER_MS } from '../../core/load/backend-load.js';
import { planXds, type XdsBackendInput, type XdsPlan } from '../../core/xds/xds-plan.js';
import { startGrpcServer } from '../grpc/grpc-server.js';
import { XdsAdminService } from '../wire/gen/lbx/v1/xds_admin.js';
import { createXdsAdmin } from './xds-admin.js';
import { XdsControlPlane, type XdsEvent, type XdsStatus } from './xds-control-plane.js';

export interface XdsServerOptions {
  readonly host: string;
  readonly port: number;
  readonly balancer: Balancer;
  readonly onEvent: (event: XdsEvent) => void;
}

export interface RunningXdsServer {
  readonly address: string;
  /** Call on every membership, health or policy change: pushes to every client once the current burst of changes ends. */
  publish(): void;
  status(): XdsStatus;
  stop(): Promise<void>;
}

/** What stock clients may use: serving members not ejected by outlier detection; their in flight from fresh reports. */
export function backendsForXds(stats: BalancerStats): XdsBackendInput[] {
  return stats.backends
    .filter((member) => member.state === 'serving' && !member.ejected)
    .map((member) => {
      const colon = member.address.lastIndexOf(':');
      return {
        host: hostOf(member.address),
        port: Number(member.address.slice(colon + 1)),
        weight: member.weight,
        inFlight: member.lastReport !== undefined && member.lastReportAgeMs !== undefined && member.lastReportAgeMs <= DEFAULT_STALE_AFTER_MS ? member.lastReport.inFlight : undefined,
        health: 'healthy' as const,
      };
    });
}

export const planFromBalancer = (balancer: Balancer): XdsPlan => {
  const stats = balancer.stats();
  return planXds(stats.policy, backendsForXds(stats));
};

export async function startXdsServer(options: XdsServerOptions): Promise<RunningXdsServer> {
  const controlPlane = new XdsControlPlane({ plan: () => planFromBalancer(options.balancer), onEvent: options.onEvent });
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
