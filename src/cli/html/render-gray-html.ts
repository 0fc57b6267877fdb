// `lbx bench --scenario gray --html`: the gray scenario's table and its effect per policy as charts (p99 against the baseline, error rate, goodput).
import type { GrayResult, GrayRow } from '../../runtime/bench/gray-scenario.js';
import { defencesLabel, formatErrorPercent, isBestRow, renderGrayNotes } from '../render-gray.js';
import { escapeHtml } from './escape-html.js';
import { renderHtmlPage, renderHtmlTable } from './html-page.js';
import { formatFigure, renderBarChart } from './svg-charts.js';

/** Per policy, one group with a bar for each arm (none, defended); the baseline is a group of its own. */
function groupsOf(result: GrayResult, value: (row: GrayRow) => number): Array<{ label: string; values: number[] }> {
  const policies = [...new Set(result.rows.map((row) => row.policy))];
  const valueOf = (policy: string, defences: GrayRow['defences']): number => {
    const row = result.rows.find((candidate) => candidate.policy === policy && candidate.defences === defences);
    return row === undefined ? Number.NaN : value(row);
  };
  return [
    { label: 'baseline', values: [value(result.baseline), Number.NaN] },
    ...policies.map((policy) => ({ label: policy, values: [valueOf(policy, 'none'), valueOf(policy, 'defended')] })),
  ];
}

export function renderGrayHtml(result: GrayResult): string {
  const series = ['no defences (baseline: no faults)', 'defended'];
  const charts = [
    renderBarChart({ chart: 'gray-p99', title: 'p99 latency per policy, without and with defences', series, groups: groupsOf(result, (row) => row.latencyMs.p99), unit: 'ms' }),
    renderBarChart({
      chart: 'gray-p99-ratio',
      title: 'p99 ÷ the baseline p99 (target for the best defended: ≤ 1.5)',
      series,
      groups: groupsOf(result, (row) => (row.defences === 'baseline' ? 1 : row.p99OverBaseline)),
      height: 220,
    }),
    renderBarChart({
      chart: 'gray-errors',
      title: 'Tasks failed, % (target for the best defended: ≤ 0.1 %)',
      series,
      groups: groupsOf(result, (row) => row.errorRate * 100),
      unit: '%',
      height: 220,
    }),
    renderBarChart({ chart: 'gray-goodput', title: 'Goodput (ok tasks per second)', series, groups: groupsOf(result, (row) => row.goodputPerSec), unit: '/s', height: 220 }),
  ];
  const table = renderHtmlTable({
    headers: ['policy', 'defences', 'goodput /s', 'errors', 'p50 ms', 'p99 ms', 'p99.9 ms', 'p99 ÷ baseline', 'ok', 'failed', 'sent', 'reconciled', 'load before'],
    rows: [result.baseline, ...result.rows].map((row) => [
      `${isBestRow(result, row) ? '★ ' : ''}${row.policy}`,
      defencesLabel(row),
      formatFigure(row.goodputPerSec),
      formatErrorPercent(row.errorRate),
      formatFigure(row.latencyMs.p50),
      formatFigure(row.latencyMs.p99),
      formatFigure(row.latencyMs.p999),
      row.defences === 'baseline' ? '1' : formatFigure(row.p99OverBaseline),
      String(row.ok),
      String(row.failed),
      String(row.sent),
      row.reconciled ? 'yes' : 'NO',
      row.loadAverage1m.toFixed(2),
    ]),
  });
  const { cluster, workload } = result;
  const meta = `cluster ${cluster.name} · ${cluster.backends} backends · ${cluster.mode} mode · workload ${workload.simple} simple + ${workload.heavy} heavy, concurrency ${workload.concurrency}, seed ${workload.seed}, deadline ${workload.timeoutMs} ms · started ${new Date(result.startedAtUnixMs).toISOString()}`;
  const notes = renderGrayNotes(result).map((line) => `<li>${escapeHtml(line)}</li>`);
  const body = [
    '<h1>lbx bench --scenario gray</h1>',
    `<p class="meta">${escapeHtml(meta)}</p>`,
    '<h2>Figures</h2>',
    table,
    `<ul>${notes.join('')}</ul>`,
    '<h2>Effect per policy</h2>',
    ...charts,
  ];
  return renderHtmlPage('lbx bench --scenario gray', body.join('\n'));
}
