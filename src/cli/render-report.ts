// Tables for `lbx report`: per-backend distribution as the backends, the LB and the clients each saw it; then the runs.
import type { ClusterReport } from '../runtime/cluster/collect-report.js';
import { renderReconciliation } from './render-reconciliation.js';
import { renderBar } from './bars.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderTable } from './table.js';

/** Wall-clock time of day to the millisecond (UTC), so joins, exits and failovers can be lined up; '-' for 0. */
const formatClock = (unixMs: number): string => (unixMs > 0 ? new Date(unixMs).toISOString().slice(11, 23) : '-');

/** `color` tints the share bars (callers pass shouldColor(process.stdout, process.env)). */
export function renderReport(report: ClusterReport, options: { color?: boolean } = {}): string {
  const totalServed = report.backends.reduce((sum, backend) => sum + backend.servedSimple + backend.servedHeavy, 0);
  const sections: string[] = [];
  sections.push(
    `cluster "${report.name}"  ${report.mode} mode  policy ${report.policy}${report.policyConfig ? ` (${report.policyConfig})` : ''}  LB ${report.lbAddress}${report.lbReachable ? '' : ' (unreachable)'}  picks ${formatCount(report.picks)}  unavailable ${formatCount(report.unavailable)}`,
  );
  sections.push(
    renderTable(
      ['BACKEND', 'SPEED', 'WEIGHT', 'STATE', 'HEALTH', 'LB VIEW', 'JOINED', 'LEFT', 'RESTARTS', 'SERVED', 'SHARE', '', 'SIMPLE', 'HEAVY', 'LB ASSIGNED', 'CLIENT OK', 'IN FLIGHT', 'CPU %'],
      report.backends.map((backend) => {
        const served = backend.servedSimple + backend.servedHeavy;
        return [
          backend.address,
          String(backend.speed),
          String(backend.weight),
          backend.state === 'exited' && backend.exitReason ? `exited (${backend.exitReason})` : backend.state,
          backend.health,
          backend.lbState,
          formatClock(backend.joinedAtUnixMs),
          formatClock(backend.leftAtUnixMs),
          String(backend.restarts),
          `${formatCount(served)}${backend.servedSource === 'last-report' ? '*' : backend.servedSource === 'unknown' ? '?' : ''}`,
          totalServed === 0 ? '-' : formatPercent(served / totalServed),
          renderBar(totalServed === 0 ? 0 : served / totalServed, { color: options.color ?? false, pad: true }),
          formatCount(backend.servedSimple),
          formatCount(backend.servedHeavy),
          formatCount(backend.assigned),
          formatCount(backend.clientOk),
          formatCount(backend.inFlight),
          backend.cpuPercent.toFixed(1),
        ];
      }),
      ['left', 'right', 'right', 'left', 'left', 'left', 'left', 'left', 'right', 'right', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );
  const policiesUsed = [...new Set(report.backends.flatMap((backend) => Object.keys(backend.assignedByPolicy)))].sort();
  if (policiesUsed.length > 1) {
    sections.push(
      'LB assignments by policy:\n' +
        renderTable(
          ['BACKEND', ...policiesUsed.map((policy) => policy.toUpperCase())],
          report.backends.map((backend) => [backend.address, ...policiesUsed.map((policy) => formatCount(backend.assignedByPolicy[policy] ?? 0))]),
          ['left', ...policiesUsed.map((): 'right' => 'right')],
        ),
    );
  }
  const notes: string[] = [];
  if (report.backends.some((backend) => backend.servedSource === 'last-report')) {
    notes.push('* gone: figures from its last load report (final after a graceful stop; up to 500 ms old after a crash)');
  }
  notes.push(renderReconciliation(report));
  const notPersisted = report.backends.filter((backend) => backend.servedSource === 'not-persisted').map((backend) => backend.address);
  if (notPersisted.length > 0) notes.push(`counts not persisted (the disk was full when they were written), so not checked: ${notPersisted.join(', ')}`);
  const unverified = report.unverified.filter((address) => !notPersisted.includes(address));
  if (unverified.length > 0) notes.push(`not verified (no longer running): ${unverified.join(', ')}`);
  sections.push(notes.join('\n'));

  if (report.runs.length > 0) {
    const recent = report.runs.slice(-10);
    sections.push(
      `last ${recent.length} send run${recent.length > 1 ? 's' : ''}:\n` +
        renderTable(
          ['RUN', 'MODE', 'POLICY', 'SIMPLE', 'HEAVY', 'OK', 'FAILED', 'RETRIED', 'THROUGHPUT', 'P50 MS', 'P99 MS', 'SPLIT'],
          recent.map((run) => [
            new Date(run.startedAtUnixMs).toISOString().replace('T', ' ').slice(0, 19),
            run.mode ?? 'lookaside',
            run.policy || '-',
            formatCount(run.request.simple),
            formatCount(run.request.heavy),
            formatCount(run.summary.ok),
            formatCount(run.summary.failed),
            formatCount(run.summary.retried),
            formatRate(run.summary.throughputPerSec),
            formatMs(run.summary.latencyMs.p50),
            formatMs(run.summary.latencyMs.p99),
            run.summary.backends.map((backend) => `${backend.address.slice(backend.address.lastIndexOf(':') + 1)}:${Math.round(backend.share * 100)}%`).join(' '),
          ]),
          ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
        ),
    );
  } else {
    sections.push('no send runs yet: lbx send --simple 1000');
  }
  return sections.join('\n\n');
}
