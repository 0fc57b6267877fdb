// The xDS control plane's Prometheus metrics, in the LB's registry: pushes, responses, ACKs and NACKs per type,
// connected clients and the weights last pushed. All read from the control plane's status at scrape time.
import { Counter, Gauge, type Registry } from 'prom-client';

import type { XdsStatus } from '../xds/xds-control-plane.js';
import { formatHostPort } from '../../core/host-port.js';

const shortType = (typeUrl: string): string => typeUrl.split('.').pop() ?? typeUrl;

/** A counter that follows a running total kept elsewhere: each scrape adds what it grew by. */
function followTotals(counter: Counter<'type'>, totals: () => ReadonlyMap<string, number>): () => void {
  const seen = new Map<string, number>();
  return () => {
    for (const [typeUrl, total] of totals()) {
      const grown = total - (seen.get(typeUrl) ?? 0);
      if (grown > 0) counter.labels(shortType(typeUrl)).inc(grown);
      seen.set(typeUrl, total);
    }
  };
}

export function registerXdsMetrics(registry: Registry, status: () => XdsStatus): void {
  const registers = [registry];
  let pushesSeen = 0;
  new Counter({
    name: 'lbx_xds_pushes_total',
    help: 'Changes of what xDS clients are sent (membership, health, weights, policy), each pushed to every subscribed client.',
    registers,
    collect() {
      const pushes = status().pushes;
      if (pushes > pushesSeen) this.inc(pushes - pushesSeen);
      pushesSeen = pushes;
    },
  });
  const responses: Counter<'type'> = new Counter({
    name: 'lbx_xds_responses_total',
    help: 'DiscoveryResponses sent, by resource type.',
    labelNames: ['type'],
    registers,
    collect: () => followResponses(),
  });
  const followResponses = followTotals(responses, () => status().counters.responses);
  const acks: Counter<'type'> = new Counter({
    name: 'lbx_xds_acks_total',
    help: 'Responses clients accepted (ACK), by resource type.',
    labelNames: ['type'],
    registers,
    collect: () => followAcks(),
  });
  const followAcks = followTotals(acks, () => status().counters.acks);
  const nacks: Counter<'type'> = new Counter({
    name: 'lbx_xds_nacks_total',
    help: 'Responses clients refused (NACK), by resource type; lbx status shows the message.',
    labelNames: ['type'],
    registers,
    collect: () => followNacks(),
  });
  const followNacks = followTotals(nacks, () => status().counters.nacks);
  new Gauge({
    name: 'lbx_xds_clients',
    help: 'ADS streams connected now.',
    registers,
    collect() {
      this.set(status().clients.length);
    },
  });
  new Gauge({
    name: 'lbx_xds_endpoint_weight',
    help: 'The weight last pushed to xDS clients per backend (0 = draining).',
    labelNames: ['backend'],
    registers,
    collect() {
      this.reset();
      for (const endpoint of status().plan?.endpoints ?? []) {
        const address = formatHostPort(endpoint.host, endpoint.port);
        this.labels(address).set(endpoint.health === 'draining' ? 0 : endpoint.weight);
      }
    },
  });
}
