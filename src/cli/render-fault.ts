// `lbx fault`'s lines: what changed, or every backend's fault and the calls it touched.
import type { BackendFault } from '../runtime/cluster/cluster-faults.js';
import type { FaultInForce } from '../runtime/cluster/collect-report.js';
import { formatCount } from './format.js';
import { renderTable } from './table.js';

const until = (fault: BackendFault, nowUnixMs: number): string =>
  fault.expiresAtUnixMs > 0 ? `${Math.max(0, Math.ceil((fault.expiresAtUnixMs - nowUnixMs) / 1_000))}s left` : fault.setAtUnixMs === 0 ? '' : 'until cleared';

export function renderFaultChange(fault: BackendFault): string {
  return fault.summary === 'none' ? `${fault.name}: fault cleared` : `${fault.name}: ${fault.summary}`;
}

/** status's lines: the faults in force, one per backend; nothing when there are none. */
export function renderFaultsInForce(faults: readonly BackendFault[] | { readonly error: string }, nowUnixMs = Date.now()): string {
  if ('error' in faults) return `faults: could not be read (${faults.error})`;
  return faults.map((fault) => `fault on ${fault.address}: ${fault.summary}${fault.expiresAtUnixMs > 0 ? ` (${until(fault, nowUnixMs)})` : ''}`).join('\n');
}

/** report's section: the faults in force and the calls each touched; nothing when there are none. */
export function renderReportFaults(report: { readonly faults: readonly FaultInForce[]; readonly faultsUnavailable?: string }): string {
  if (report.faultsUnavailable !== undefined) return `faults: could not be read (${report.faultsUnavailable})`;
  if (report.faults.length === 0) return '';
  const lines = report.faults.map((fault) =>
    fault.isNetwork === true
      ? `  ${fault.address}: ${fault.summary} (kernel, on its veth)`
      : `  ${fault.address}: ${fault.summary} (delayed ${fault.delayed}, errored ${fault.errored}, hung ${fault.hung})`,
  );
  return ['faults injected (lbx fault; errored and hung calls are not served, so they do not upset the reconciliation):', ...lines].join('\n');
}

export function renderFaultList(faults: readonly BackendFault[], nowUnixMs = Date.now()): string {
  if (faults.length === 0) return 'no running backends';
  return renderTable(
    ['BACKEND', 'FAULT', 'CLEARS', 'DELAYED', 'ERRORED', 'HUNG'],
    faults.map((fault) => [fault.address, fault.summary, until(fault, nowUnixMs), formatCount(fault.delayed), formatCount(fault.errored), formatCount(fault.hung)]),
    ['left', 'left', 'left', 'right', 'right', 'right'],
  );
}
