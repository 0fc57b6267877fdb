// `lbx fault`'s lines for network faults (`up --netns`): what changed, and every backend's network fault.
import type { BackendNetFault } from '../runtime/netns/net-fault-wire.js';
import { renderTable } from './table.js';

const clears = (fault: BackendNetFault, nowUnixMs: number): string =>
  fault.expiresAtUnixMs > 0 ? `${Math.max(0, Math.ceil((fault.expiresAtUnixMs - nowUnixMs) / 1_000))}s left` : fault.summary === 'none' ? '' : 'until cleared';

export function renderNetFaultChange(fault: BackendNetFault): string {
  return fault.summary === 'none' ? `${fault.name}: network fault cleared` : `${fault.name}: ${fault.summary} (${fault.link}, namespace ${fault.namespace})`;
}

export function renderNetFaultList(faults: readonly BackendNetFault[], nowUnixMs = Date.now()): string {
  if (faults.length === 0) return 'no running backends';
  return renderTable(
    ['BACKEND', 'NAMESPACE', 'NETWORK FAULT', 'CLEARS'],
    faults.map((fault) => [fault.address, fault.namespace, fault.summary, clears(fault, nowUnixMs)]),
    ['left', 'left', 'left', 'left'],
  );
}
