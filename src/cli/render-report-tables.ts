// The tables of `lbx report`, in two forms: fitted to 100 columns (grouped, abbreviated, details as notes) or --wide (every column).
import { POLICIES } from '../core/policies/index.js';
import type { BackendReport, ClusterReport } from '../runtime/cluster/collect-report.js';
import type { SavedRun } from '../runtime/cluster/run-store.js';
import { renderBar } from './bars.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderFittedTable, renderTable, wrapLine, type Align, type Column } from './table.js';

/** The width `lbx report` fits without --wide: a terminal of 100 columns, or a CI log. */
export const REPORT_WIDTH = 100;
const NARROW_BAR_WIDTH = 10;
const WIDE_BAR_WIDTH = 20;

export interface ReportTableOptions {
  readonly wide: boolean;
  readonly color: boolean;
}

/** Wall-clock time of day to the millisecond (UTC), so joins, exits and failovers can be lined up; '-' for 0. */
const formatClock = (unixMs: number): string => (unixMs > 0 ? new Date(unixMs).toISOString().slice(11, 23) : '-');
const SHORT_POLICY: ReadonlyMap<string, string> = new Map(POLICIES.map((policy) => [policy.name, policy.shortName]));
const shortPolicy = (name: string): string => SHORT_POLICY.get(name) ?? name;
const isAll = <T>(rows: readonly T[], test: (row: T) => boolean): boolean => rows.every(test);

/** The cluster line(s): who, how, and the LB's figures, wrapped at the report width. */
export function renderReportHeader(report: ClusterReport, options: ReportTableOptions): string {
  const parts = [
    `cluster "${report.name}"`,
    `${report.mode} mode`,
    `policy ${report.policy}${report.policyConfig ? ` (${report.policyConfig})` : ''}`,
    `LB ${report.lbAddress}${report.lbReachable ? '' : ' (unreachable)'}`,
    `picks ${formatCount(report.picks)}`,
    `unavailable ${formatCount(report.unavailable)}`,
  ];
  if (options.wide) return parts.join('  ');
  const lines: string[] = [];
  for (const part of parts) {
    const last = lines.at(-1);
    if (last !== undefined && last.length + 2 + part.length <= REPORT_WIDTH) lines[lines.length - 1] = `${last}  ${part}`;
    else lines.push(part);
  }
  return lines.join('\n');
}

/** Served, with * for figures from a last load report and ? for none. */
const servedCell = (backend: BackendReport): string =>
  `${formatCount(backend.servedSimple + backend.servedHeavy)}${backend.servedSource === 'last-report' ? '*' : backend.servedSource === 'unknown' ? '?' : ''}`;

/** One word for the backend's health as the backend and the LB see it: the first thing that is not "serving". */
function healthWord(backend: BackendReport): string {
  if (backend.health !== 'serving') return backend.health;
  return backend.lbState === 'serving' ? 'serving' : `LB ${backend.lbState.split(':')[0]}`;
}

/** The per-backend table; `notes` gets, in the fitted form, what its abbreviations leave out. */
export function renderBackendTable(report: ClusterReport, options: ReportTableOptions, notes: string[]): string {
  const total = report.backends.reduce((sum, backend) => sum + backend.servedSimple + backend.servedHeavy, 0);
  const share = (backend: BackendReport): number => (total === 0 ? 0 : (backend.servedSimple + backend.servedHeavy) / total);
  const shareCell = (backend: BackendReport): string => (total === 0 ? '-' : formatPercent(share(backend)));
  const bar =
    (width: number) =>
    (backend: BackendReport): string =>
      renderBar(share(backend), { color: options.color, pad: true, width });
  const right: Align = 'right';

  if (options.wide) {
    const columns: Column<BackendReport>[] = [
      { head: 'BACKEND', cell: (backend) => backend.address },
      { head: 'SPEED', align: right, cell: (backend) => String(backend.speed) },
      { head: 'WEIGHT', align: right, cell: (backend) => String(backend.weight) },
      { head: 'STATE', cell: (backend) => (backend.state === 'exited' && backend.exitReason ? `exited (${backend.exitReason})` : backend.state) },
      { head: 'HEALTH', cell: (backend) => backend.health },
      { head: 'LB VIEW', cell: (backend) => backend.lbState },
      { head: 'JOINED', cell: (backend) => formatClock(backend.joinedAtUnixMs) },
      { head: 'LEFT', cell: (backend) => formatClock(backend.leftAtUnixMs) },
      { head: 'RESTARTS', align: right, cell: (backend) => String(backend.restarts) },
      { head: 'SERVED', align: right, cell: servedCell },
      { head: 'SHARE', align: right, cell: shareCell },
      { head: '', cell: bar(WIDE_BAR_WIDTH) },
      { head: 'SIMPLE', align: right, cell: (backend) => formatCount(backend.servedSimple) },
      { head: 'HEAVY', align: right, cell: (backend) => formatCount(backend.servedHeavy) },
      { head: 'LB ASSIGNED', align: right, cell: (backend) => formatCount(backend.assigned) },
      { head: 'CLIENT OK', align: right, cell: (backend) => formatCount(backend.clientOk) },
      { head: 'IN FLIGHT', align: right, cell: (backend) => formatCount(backend.inFlight) },
      { head: 'CPU %', align: right, cell: (backend) => backend.cpuPercent.toFixed(1) },
    ];
    return renderFittedTable(columns, report.backends, Number.POSITIVE_INFINITY).text;
  }

  const { backends } = report;
  // Columns that would say the same for every backend are left out; the rest go, least telling first, until 100 columns fit.
  const columns: Column<BackendReport>[] = [
    { head: 'BACKEND', cell: (backend) => backend.address },
    { head: 'STATE', cell: (backend) => backend.state, keep: 90 },
    { head: 'HEALTH', cell: healthWord, keep: 80 },
    ...(isAll(backends, (backend) => backend.speed === 1) ? [] : [{ head: 'SPEED', align: right, cell: (backend: BackendReport) => String(backend.speed), keep: 35 }]),
    ...(isAll(backends, (backend) => backend.weight === 1) ? [] : [{ head: 'WEIGHT', align: right, cell: (backend: BackendReport) => String(backend.weight), keep: 36 }]),
    ...(isAll(backends, (backend) => backend.restarts === 0) ? [] : [{ head: 'RESTARTS', align: right, cell: (backend: BackendReport) => String(backend.restarts), keep: 40 }]),
    { head: 'SERVED', align: right, cell: servedCell },
    { head: 'SHARE', align: right, cell: shareCell, keep: 85 },
    { head: '', cell: bar(NARROW_BAR_WIDTH), keep: 20 },
    { head: 'ASSIGNED', align: right, cell: (backend) => formatCount(backend.assigned), keep: 70 },
    { head: 'CLIENT OK', align: right, cell: (backend) => formatCount(backend.clientOk), keep: 75 },
    ...(isAll(backends, (backend) => backend.inFlight === 0)
      ? []
      : [{ head: 'IN FLIGHT', align: right, cell: (backend: BackendReport) => formatCount(backend.inFlight), keep: 10 }]),
    { head: 'CPU %', align: right, cell: (backend) => backend.cpuPercent.toFixed(1), keep: 50 },
  ];
  const fitted = renderFittedTable(columns, backends, REPORT_WIDTH);
  for (const backend of backends) {
    const details = [
      backend.state === 'exited' && backend.exitReason ? `exited (${backend.exitReason})` : '',
      // A backend that exited was removed for exiting: said once.
      backend.lbState.startsWith('removed: ') && !(backend.state === 'exited' && backend.lbState.includes('exit'))
        ? `the LB removed it (${backend.lbState.slice('removed: '.length)})`
        : '',
    ].filter(Boolean);
    if (details.length > 0) notes.push(`${backend.address}: ${details.join('; ')}`);
  }
  return fitted.text;
}

/** LB assignments by the policy that made them, when more than one policy assigned; short names when fitted, split to fit. */
export function renderPolicyAssignments(report: ClusterReport, options: ReportTableOptions): string | undefined {
  const policies = [...new Set(report.backends.flatMap((backend) => Object.keys(backend.assignedByPolicy)))].sort();
  if (policies.length <= 1) return undefined;
  const tableOf = (chosen: readonly string[]): string =>
    renderTable(
      ['BACKEND', ...chosen.map((policy) => (options.wide ? policy : shortPolicy(policy)).toUpperCase())],
      report.backends.map((backend) => [backend.address, ...chosen.map((policy) => formatCount(backend.assignedByPolicy[policy] ?? 0))]),
      ['left', ...chosen.map((): Align => 'right')],
    );
  if (options.wide) return `LB assignments by policy:\n${tableOf(policies)}`;
  // Nine policies with big counts do not fit in 100 columns: then several tables, each as wide as fits.
  const tables: string[] = [];
  let chunk: string[] = [];
  for (const policy of policies) {
    const tried = [...chunk, policy];
    if (
      chunk.length > 0 &&
      Math.max(
        ...tableOf(tried)
          .split('\n')
          .map((line) => line.length),
      ) > REPORT_WIDTH
    ) {
      tables.push(tableOf(chunk));
      chunk = [policy];
    } else {
      chunk = tried;
    }
  }
  tables.push(tableOf(chunk));
  return `LB assignments by policy:\n${tables.join('\n\n')}`;
}

/** The last saved runs; fitted, the split per backend (as long as the backends are many) is left to --wide and --json. */
export function renderRunsTable(runs: readonly SavedRun[], options: ReportTableOptions): string {
  const right: Align = 'right';
  if (options.wide) {
    const columns: Column<SavedRun>[] = [
      { head: 'RUN', cell: (run) => new Date(run.startedAtUnixMs).toISOString().replace('T', ' ').slice(0, 19) },
      { head: 'MODE', cell: (run) => run.mode ?? 'lookaside' },
      { head: 'POLICY', cell: (run) => run.policy || '-' },
      { head: 'SIMPLE', align: right, cell: (run) => formatCount(run.request.simple) },
      { head: 'HEAVY', align: right, cell: (run) => formatCount(run.request.heavy) },
      { head: 'OK', align: right, cell: (run) => formatCount(run.summary.ok) },
      { head: 'FAILED', align: right, cell: (run) => formatCount(run.summary.failed) },
      { head: 'RETRIED', align: right, cell: (run) => formatCount(run.summary.retried) },
      { head: 'THROUGHPUT', align: right, cell: (run) => formatRate(run.summary.throughputPerSec) },
      { head: 'P50 MS', align: right, cell: (run) => formatMs(run.summary.latencyMs.p50) },
      { head: 'P99 MS', align: right, cell: (run) => formatMs(run.summary.latencyMs.p99) },
      {
        head: 'SPLIT',
        cell: (run) => run.summary.backends.map((backend) => `${backend.address.slice(backend.address.lastIndexOf(':') + 1)}:${Math.round(backend.share * 100)}%`).join(' '),
      },
    ];
    return renderFittedTable(columns, runs, Number.POSITIVE_INFINITY).text;
  }
  const columns: Column<SavedRun>[] = [
    // Month-day and time: the year and the seconds' fractions add width and little else.
    { head: 'RUN', cell: (run) => new Date(run.startedAtUnixMs).toISOString().replace('T', ' ').slice(5, 19) },
    ...(isAll(runs, (run) => (run.mode ?? 'lookaside') === 'lookaside') ? [] : [{ head: 'MODE', cell: (run: SavedRun) => run.mode ?? 'lookaside', keep: 30 }]),
    { head: 'POLICY', cell: (run) => (run.policy ? shortPolicy(run.policy) : '-'), keep: 80 },
    {
      head: 'TASKS',
      align: right,
      cell: (run) => (run.request.heavy === 0 ? formatCount(run.request.simple) : `${formatCount(run.request.simple)}+${formatCount(run.request.heavy)}`),
      keep: 60,
    },
    { head: 'OK', align: right, cell: (run) => formatCount(run.summary.ok) },
    { head: 'FAILED', align: right, cell: (run) => formatCount(run.summary.failed) },
    { head: 'RETRIED', align: right, cell: (run) => formatCount(run.summary.retried), keep: 40 },
    { head: 'RATE', align: right, cell: (run) => formatRate(run.summary.throughputPerSec), keep: 70 },
    { head: 'P50 MS', align: right, cell: (run) => formatMs(run.summary.latencyMs.p50), keep: 50 },
    { head: 'P99 MS', align: right, cell: (run) => formatMs(run.summary.latencyMs.p99), keep: 65 },
  ];
  return renderFittedTable(columns, runs, REPORT_WIDTH).text;
}

/** Notes wrapped at the report width (unwrapped with --wide). */
export const fitNotes = (lines: readonly string[], options: ReportTableOptions): string => lines.map((line) => (options.wide ? line : wrapLine(line, REPORT_WIDTH))).join('\n');
