// The components table shared by `up` and `status`.
import type { ComponentRecord } from '../runtime/cluster/cluster-file.js';
import { formatDuration } from './format.js';
import { renderTable } from './table.js';

export interface ComponentRow extends Pick<ComponentRecord, 'name' | 'role' | 'address' | 'pid' | 'state' | 'startedAtUnixMs' | 'exitReason' | 'restarts'> {
  readonly health?: string;
  /** host:port serving Prometheus metrics at /metrics (the LB and backends). */
  readonly metricsAddress?: string;
}

export function renderComponents(rows: readonly ComponentRow[], nowUnixMs: number): string {
  const showHealth = rows.some((row) => row.health !== undefined);
  const showMetrics = rows.some((row) => row.metricsAddress !== undefined);
  const gone = (row: ComponentRow): boolean => row.state === 'exited' || row.state === 'removed';
  return renderTable(
    ['COMPONENT', 'ROLE', 'ADDRESS', 'PID', 'STATE', ...(showHealth ? ['HEALTH'] : []), 'UPTIME', 'RESTARTS', ...(showMetrics ? ['METRICS'] : [])],
    rows.map((row) => [
      row.name,
      row.role,
      row.address,
      row.pid && !gone(row) ? String(row.pid) : '-',
      row.state === 'exited' && row.exitReason ? `exited (${row.exitReason})` : row.state,
      ...(showHealth ? [gone(row) ? '-' : (row.health ?? '-')] : []),
      !gone(row) && row.startedAtUnixMs ? formatDuration(nowUnixMs - row.startedAtUnixMs) : '-',
      String(row.restarts ?? 0),
      ...(showMetrics ? [row.metricsAddress === undefined || gone(row) ? '-' : `http://${row.metricsAddress}/metrics`] : []),
    ]),
    ['left', 'left', 'left', 'right', 'left', ...(showHealth ? ['left' as const] : []), 'right', 'right', ...(showMetrics ? ['left' as const] : [])],
  );
}
