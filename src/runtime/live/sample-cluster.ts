// Samples a running cluster for the live view: the supervisor's component states, each backend's GetLoad and the LB's GetStats.
import { credentials } from '@grpc/grpc-js';

import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import type { ClusterFile } from '../cluster/cluster-file.js';
import { ControlClient } from '../cluster/control-client.js';
import { BackendClient } from '../wire/gen/lbx/v1/backend.js';
import { LoadBalancerClient, type GetStatsResponse, type LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import type { BackendSample, LiveHealth, LiveSample } from '../../core/live/live-snapshot.js';

/** A refresh must not wait longer than this for one slow component: it shows as unreachable instead. */
const SAMPLE_CALL_TIMEOUT_MS = 800;

export interface ClusterSampler {
  sample(): Promise<LiveSample>;
  close(): void;
}

/** Keeps one channel per component open across refreshes; channels of backends that left are closed. */
export function createClusterSampler(cluster: ClusterFile): ClusterSampler {
  const control = new ControlClient(cluster);
  const lb = new LoadBalancerClient(cluster.lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  const backendClients = new Map<string, BackendClient>();

  const clientFor = (address: string): BackendClient => {
    let client = backendClients.get(address);
    if (client === undefined) {
      client = new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
      backendClients.set(address, client);
    }
    return client;
  };

  const readLoad = async (address: string): Promise<LoadReport | undefined> => {
    const client = clientFor(address);
    return callUnary(client.getLoad.bind(client), {}, SAMPLE_CALL_TIMEOUT_MS).catch(() => undefined);
  };

  return {
    async sample(): Promise<LiveSample> {
      const [status, stats] = await Promise.all([
        control.status(),
        callUnary(lb.getStats.bind(lb), {}, SAMPLE_CALL_TIMEOUT_MS).catch((): GetStatsResponse | undefined => undefined),
      ]);
      const members = status.components.filter((component) => component.role === 'backend' && component.state !== 'removed');
      const lbByAddress = new Map((stats?.backends ?? []).map((entry) => [entry.address, entry]));
      const backends = await Promise.all(
        members.map(async (component): Promise<BackendSample> => {
          const gone = component.state === 'exited';
          const load = gone ? undefined : await readLoad(component.address);
          const lbEntry = lbByAddress.get(component.address);
          const figures = load ?? lbEntry?.lastReport;
          const health: LiveHealth = gone ? 'exited' : load ? 'serving' : component.state === 'starting' ? 'starting' : 'unreachable';
          return {
            name: component.name,
            address: component.address,
            health,
            inFlight: load?.inFlight ?? 0,
            queueDepth: load?.queueDepth ?? 0,
            served: (figures?.servedSimple ?? 0) + (figures?.servedHeavy ?? 0),
            servedIsLive: load !== undefined,
            ejected: lbEntry?.ejected ?? false,
          };
        }),
      );
      const present = new Set(members.map((component) => component.address));
      for (const [address, client] of backendClients) {
        if (!present.has(address)) {
          client.close();
          backendClients.delete(address);
        }
      }
      return {
        atMs: performance.now(),
        atUnixMs: Date.now(),
        cluster: status.name,
        policy: stats?.policy ?? status.policy,
        lbAddress: status.lbAddress || cluster.lbAddress,
        lbReachable: stats !== undefined,
        picks: stats?.picks ?? 0,
        backends,
      };
    },
    close(): void {
      control.close();
      lb.close();
      for (const client of backendClients.values()) client.close();
      backendClients.clear();
    },
  };
}
