// `lbx report --html`: where requests went per backend, the last runs' latency and throughput, and each backend's load per interval over time.
import type { ClusterReport } from '../../runtime/cluster/collect-report.js';
import type { BackendLoadHistory } from '../../runtime/lb/load-history.js';
import { escapeHtml } from './escape-html.js';
import { renderHtmlPage, renderHtmlTable } from './html-page.js';
import { IDLE_HEARTBEAT_MS, REPORT_HOLD_MS } from '../../core/scale/idle-cost.js';
import { formatIntervalLength, renderLoadCharts } from './load-charts.js';
import { formatFigure, renderBarChart } from './svg-charts.js';

/** The runs a report charts: the latest, so the chart stays readable. */
export const MAX_CHARTED_RUNS = 10;

export interface ReportHtmlInput {
  readonly report: ClusterReport;
  /** Each backend's load reports as the LB recorded them (GetLoadHistory); empty when the LB did not answer. */
  readonly loadHistory: readonly BackendLoadHistory[];
  /** Why the LB's load history could not be had, when it could not. */
  readonly loadHistoryFailure?: string;
  readonly generatedAtUnixMs: number;
}

const clock = (unixMs: number): string => new Date(unixMs).toISOString().slice(11, 19);
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;

export function renderReportHtml({ report, loadHistory, loadHistoryFailure, generatedAtUnixMs }: ReportHtmlInput): string {
  const sections = [
    renderHeading(report, generatedAtUnixMs),
    ...renderRequestsSection(report),
    ...renderRunsSection(report),
    ...renderLoadSection(report, loadHistory, loadHistoryFailure),
  ];
  return renderHtmlPage(`lbx report: ${report.name}`, sections.join('\n'));
}

/** The title, and one line on the cluster: mode, policy, LB, picks, when generated. */
function renderHeading(report: ClusterReport, generatedAtUnixMs: number): string {
  return `<h1>lbx report: cluster “${escapeHtml(report.name)}”</h1><p class="meta">${escapeHtml(
    `${report.mode} mode · policy ${report.policy}${report.policyConfig ? ` (${report.policyConfig})` : ''} · LB ${report.lbAddress}${report.lbReachable ? '' : ' (unreachable)'} · picks ${formatFigure(report.picks)} · generated ${new Date(generatedAtUnixMs).toISOString()}`,
  )}</p>`;
}

/** Where requests went: served, assigned and client-ok bars per backend, each one's share, and the table. */
function renderRequestsSection(report: ClusterReport): string[] {
  const sections = ['<h2>Requests per backend</h2>'];
  if (report.backends.length === 0) return [...sections, '<p class="empty">No backends.</p>'];
  const served = report.backends.map((backend) => backend.servedSimple + backend.servedHeavy);
  const totalServed = served.reduce((sum, count) => sum + count, 0);
  sections.push(
    renderBarChart({
      chart: 'requests-per-backend',
      title: 'Served (the backends’ own counts), LB assigned and client ok, per backend',
      series: ['served', 'LB assigned', 'client ok'],
      groups: report.backends.map((backend, index) => ({ label: backend.address, values: [served[index]!, backend.assigned, backend.clientOk] })),
      unit: 'requests',
      integer: true,
    }),
  );
  if (totalServed > 0) {
    sections.push(
      renderBarChart({
        chart: 'share-per-backend',
        title: 'Share of all served requests',
        series: ['share'],
        groups: report.backends.map((backend, index) => ({ label: backend.address, values: [(served[index]! / totalServed) * 100] })),
        unit: '%',
        height: 190,
      }),
    );
  }
  sections.push(
    renderHtmlTable({
      headers: ['backend', 'state', 'speed', 'weight', 'served', 'share', 'LB assigned', 'client ok', 'restarts'],
      rows: report.backends.map((backend, index) => [
        backend.address,
        backend.state,
        String(backend.speed),
        String(backend.weight),
        formatFigure(served[index]!),
        totalServed === 0 ? '-' : percent(served[index]! / totalServed),
        formatFigure(backend.assigned),
        formatFigure(backend.clientOk),
        String(backend.restarts),
      ]),
    }),
  );
  sections.push(
    `<p class="meta">${escapeHtml(report.reconciliation.matches ? 'Client and backend counts reconcile.' : 'Client and backend counts do NOT reconcile: see `lbx report`.')}</p>`,
  );
  return sections;
}

/** The last MAX_CHARTED_RUNS runs: latency percentiles, throughput, and their table. */
function renderRunsSection(report: ClusterReport): string[] {
  const heading = '<h2>Latency and throughput of the last runs</h2>';
  const runs = report.runs.slice(-MAX_CHARTED_RUNS);
  if (runs.length === 0) return [heading, '<p class="empty">No saved runs: `lbx send` saves one each time.</p>'];
  const firstRunIndex = report.runs.length - runs.length + 1;
  const runLabel = (index: number): string => `run ${firstRunIndex + index} · ${clock(runs[index]!.startedAtUnixMs)}`;
  return [
    heading,
    renderBarChart({
      chart: 'latency-percentiles',
      title: 'Latency percentiles per run',
      series: ['p50', 'p90', 'p99', 'max'],
      groups: runs.map((run, index) => ({
        label: runLabel(index),
        values: [run.summary.latencyMs.p50, run.summary.latencyMs.p90, run.summary.latencyMs.p99, run.summary.latencyMs.max],
      })),
      unit: 'ms',
    }),
    renderBarChart({
      chart: 'throughput',
      title: 'Throughput per run',
      series: ['requests/s'],
      groups: runs.map((run, index) => ({ label: runLabel(index), values: [run.summary.throughputPerSec] })),
      unit: 'requests/s',
      height: 190,
    }),
    renderHtmlTable({
      headers: ['run', 'policy', 'mode', 'sent', 'ok', 'failed', 'requests/s', 'p50 ms', 'p99 ms', 'max ms'],
      rows: runs.map((run, index) => [
        runLabel(index),
        run.policy || '-',
        run.mode,
        formatFigure(run.summary.sent),
        formatFigure(run.summary.ok),
        formatFigure(run.summary.failed),
        formatFigure(run.summary.throughputPerSec),
        formatFigure(run.summary.latencyMs.p50),
        formatFigure(run.summary.latencyMs.p99),
        formatFigure(run.summary.latencyMs.max),
      ]),
    }),
  ];
}

/** Each backend's load per interval over time, from its reports to the LB; or why there is none. */
function renderLoadSection(report: ClusterReport, loadHistory: readonly BackendLoadHistory[], loadHistoryFailure: string | undefined): string[] {
  const heading = '<h2>Load over time</h2>';
  const withPoints = loadHistory.filter((history) => history.points.length > 0);
  if (withPoints.length === 0) {
    const why = !report.lbReachable
      ? 'The LB did not answer: no load history.'
      : loadHistoryFailure !== undefined
        ? `The LB's load history could not be read (${loadHistoryFailure}).`
        : 'No load reports recorded yet.';
    return [heading, `<p class="empty">${escapeHtml(why)}</p>`];
  }
  const startUnixMs = withPoints.reduce((min, history) => Math.min(min, history.points[0]!.atUnixMs), Infinity);
  const backends = withPoints.map((history) => ({
    address: history.address,
    samples: history.points.map((point) => ({ atMs: point.atUnixMs - startUnixMs, inFlight: point.inFlight, cpuPercent: point.cpuPercent })),
  }));
  const charts = renderLoadCharts(backends, [
    { figure: 'utilisation', chart: 'load-utilisation' },
    { figure: 'in-flight', chart: 'load-in-flight' },
    { figure: 'cpu', chart: 'load-cpu' },
  ]);
  return [
    heading,
    `<p class="meta">${escapeHtml(
      `From ${new Date(startUnixMs).toISOString()}, from each backend's load reports to the LB, summarised per ${formatIntervalLength(charts.intervalMs)}. Backends report on change (an idle one every ${IDLE_HEARTBEAT_MS / 1_000} s), so a report stands until the next; a break in a line: no report for over ${REPORT_HOLD_MS / 1_000} s (the backend was down).`,
    )}</p>`,
    ...charts.html,
  ];
}
