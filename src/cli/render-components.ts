// The components table shared by `up` and `status`.
import type { ComponentRecord } from '../runtime/cluster/cluster-file.js';
import { formatDuration } from './format.js';
import { renderTable } from './table.js';

export interface ComponentRow extends Pick<ComponentRecord, 'name' | 'role' | 'address' | 'pid' | 'state' | 'startedAtUnixMs' | 'exitReason'> {
  readonly health?: string;
}

export function renderComponents(rows: readonly ComponentRow[], nowUnixMs: number): string {
  const showHealth = rows.some((row) => row.health !== undefined);
  return renderTable(
    ['COMPONENT', 'ROLE', 'ADDRESS', 'PID', 'STATE', ...(showHealth ? ['HEALTH'] : []), 'UPTIME'],
    rows.map((row) => [
      row.name,
      row.role,
      row.address,
      row.pid ? String(row.pid) : '-',
      row.state === 'exited' && row.exitReason ? `exited (${row.exitReason})` : row.state,
      ...(showHealth ? [row.health ?? '-'] : []),
      row.state !== 'exited' && row.startedAtUnixMs ? formatDuration(nowUnixMs - row.startedAtUnixMs) : '-',
    ]),
    ['left', 'left', 'left', 'right', 'left', 'left', 'right'],
  );
}
