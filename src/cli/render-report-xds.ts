// The xDS section of `lbx report`: the plan the LB last pushed to stock gRPC clients, endpoint by endpoint.
import type { XdsReport } from '../runtime/xds/collect-xds-status.js';
import { XDS_SERVICE_NAME } from '../runtime/xds/xds-resources.js';
import { formatCount, formatPercent } from './format.js';
import { fitNotes, type ReportTableOptions } from './render-report-tables.js';
import { renderTable } from './table.js';

type AvailableXds = Extract<XdsReport, { readonly isAvailable: true }>;

/** Wall-clock time of day to the millisecond (UTC), as the report's other times; '-' for 0. */
const formatClock = (unixMs: number): string => (unixMs > 0 ? new Date(unixMs).toISOString().slice(11, 23) : '-');
const plural = (count: number, noun: string): string => `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;

/**
 * The share of new calls a round_robin client gives each endpoint: its weight over the HEALTHY ones' total
 * (clients keep only HEALTHY endpoints). Under ring_hash and pick_first weights do not split calls: no shares.
 */
function sharesOf(xds: AvailableXds): (number | undefined)[] {
  if (xds.lbPolicy !== 'round_robin') return xds.endpoints.map(() => undefined);
  const total = xds.endpoints.reduce((sum, endpoint) => sum + (endpoint.health === 'HEALTHY' ? endpoint.weight : 0), 0);
  return xds.endpoints.map((endpoint) => (endpoint.health === 'HEALTHY' && total > 0 ? endpoint.weight / total : 0));
}

/** The section: a headline (version, why, clients), what the policy became, and the pushed endpoints; one line when unavailable. */
export function renderXdsReport(xds: XdsReport, options: ReportTableOptions): string {
  if (!xds.isAvailable) return fitNotes([`xDS: unavailable (the LB's control plane at ${xds.address} did not answer: ${xds.unavailableReason})`], options);
  const pushed =
    xds.version === ''
      ? 'no plan pushed yet'
      : `plan v${xds.version} at ${formatClock(xds.pushedAtUnixMs)} (${xds.pushReason || 'unknown reason'}), sent to ${plural(xds.pushedToClients, 'client')}`;
  const lines = [
    `xDS ${xds.address} (xds:///${XDS_SERVICE_NAME}): ${plural(xds.clients, 'stock client')} connected`,
    `last push: ${pushed}`,
    `for stock clients: ${xds.policy} → ${xds.lbPolicy}, ${xds.weighting} weights${xds.note ? ` (${xds.note})` : ''}`,
  ];
  const head = fitNotes(lines, options);
  if (xds.endpoints.length === 0) return `${head}\nno endpoints pushed (no backend is serving)`;
  const shares = sharesOf(xds);
  const rows = xds.endpoints.map((endpoint, index) => {
    const share = shares[index];
    return [endpoint.address, formatCount(endpoint.weight), share === undefined ? '-' : formatPercent(share), endpoint.health];
  });
  return `${head}\n${renderTable(['ENDPOINT', 'PUSHED WEIGHT', 'SHARE', 'HEALTH'], rows, ['left', 'right', 'right', 'left'])}`;
}
