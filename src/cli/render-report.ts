// Tables for `lbx report`: per-backend distribution as the backends, the LB and the clients each saw it; the runs; then
// the xDS plan pushed to stock clients.
import type { ClusterReport } from '../runtime/cluster/collect-report.js';
import { renderReconciliation } from './render-reconciliation.js';
import { fitNotes, renderBackendTable, renderPolicyAssignments, renderReportHeader, renderRunsTable } from './render-report-tables.js';
import { renderXdsReport } from './render-report-xds.js';
import { renderReportFaults } from './render-fault.js';

/**
 * `color` tints the share bars (callers pass shouldColor(process.stdout, process.env)); without `wide` every
 * line fits 100 columns (render-report-tables.ts), with it every column is shown.
 */
export function renderReport(report: ClusterReport, options: { color?: boolean; wide?: boolean } = {}): string {
  const tableOptions = { color: options.color ?? false, wide: options.wide ?? false };
  const sections: string[] = [];
  const notes: string[] = [];
  sections.push(renderReportHeader(report, tableOptions));
  sections.push(renderBackendTable(report, tableOptions, notes));
  const byPolicy = renderPolicyAssignments(report, tableOptions);
  if (byPolicy !== undefined) sections.push(byPolicy);
  if (report.backends.some((backend) => backend.servedSource === 'last-report')) {
    notes.push('* gone: figures from its last load report (final after a graceful stop; up to 500 ms old after a crash)');
  }
  notes.push(renderReconciliation(report));
  const notPersisted = report.backends.filter((backend) => backend.servedSource === 'not-persisted').map((backend) => backend.address);
  if (notPersisted.length > 0) notes.push(`counts not persisted (the disk was full when they were written), so not checked: ${notPersisted.join(', ')}`);
  const unverified = report.unverified.filter((address) => !notPersisted.includes(address));
  if (unverified.length > 0) notes.push(`not verified (no longer running): ${unverified.join(', ')}`);
  const ejections = renderEjections(report);
  if (ejections !== undefined) notes.push(ejections);
  sections.push(fitNotes(notes, tableOptions));

  if (report.runs.length > 0) {
    const recent = report.runs.slice(-10);
    sections.push(`last ${recent.length} send run${recent.length > 1 ? 's' : ''}:\n` + renderRunsTable(recent, tableOptions));
  } else {
    sections.push('no send runs yet: lbx send --simple 1000');
  }
  sections.push(renderXdsReport(report.xds, tableOptions));
  const faults = renderReportFaults(report);
  if (faults !== '') sections.push(faults);
  return sections.join('\n\n');
}

/** The LB's outlier ejections per backend (any evidence: its log and lbx_lb_ejections_total say which), the ones out now marked; undefined when none. */
function renderEjections(report: ClusterReport): string | undefined {
  const ejected = report.backends.filter((backend) => backend.ejections > 0);
  if (ejected.length === 0) return undefined;
  const each = ejected.map((backend) => `${backend.address} ×${backend.ejections}${backend.ejected ? ' (ejected now)' : ''}`);
  return `outlier ejections (lbx logs lb says why: evidence=…): ${each.join(', ')}`;
}
