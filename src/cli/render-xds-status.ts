// The xDS part of `lbx status`: what stock clients are told, and who is connected.
import type { XdsStatusSummary } from '../runtime/xds/collect-xds-status.js';
import { renderTable } from './table.js';

export function renderXdsStatus(xds: XdsStatusSummary): string {
  if ('error' in xds) return `xDS ${xds.address}: not answering (${xds.error})`;
  const weights = xds.endpoints.map((endpoint) => `${endpoint.address}=${endpoint.weight}${endpoint.health === 'healthy' ? '' : ` ${endpoint.health}`}`).join('  ');
  const lines = [`xDS ${xds.address}  target xds:///lbx-backend  ${xds.policy} → ${xds.lbPolicy} (${xds.weighting} weights)  ${weights}`];
  if (xds.clients.length === 0) return [...lines, 'no xDS clients connected (lbx xds bootstrap prints a bootstrap for one)'].join('\n');
  const rows = xds.clients.map((client) => [
    client.nodeId || '(no node id)',
    client.zone,
    client.peer,
    Object.entries(client.acked)
      .map(([type, version]) => `${type}=${version || '-'}`)
      .join(' '),
    client.nacks.map((nack) => `${nack.type} v${nack.version}: ${nack.message}`).join('; ') || '-',
  ]);
  return [...lines, renderTable(['NODE', 'ZONE', 'PEER', 'ACKED', 'LAST NACK'], rows)].join('\n');
}
