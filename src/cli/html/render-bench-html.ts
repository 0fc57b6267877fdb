// `lbx bench --html`: policies (and, with --client lbx,xds, clients; with --proxy, data planes) side by side: requests per backend, latency percentiles, throughput, and each backend's utilisation per interval over time.
import type { BenchPolicyResult, BenchResult } from '../../runtime/bench/bench-result.js';
import { compareAddresses } from '../../core/address-order.js';
import { comparesClients, comparesProxies, renderProxyNotes } from '../render-bench.js';
import { escapeHtml } from './escape-html.js';
import { renderHtmlPage, renderHtmlTable } from './html-page.js';
import { renderLoadCharts } from './load-charts.js';
import { formatFigure, renderBarChart } from './svg-charts.js';

/** The page's title (its policies, and its clients when compared) and the line on the cluster and workload. */
function renderHeading(result: BenchResult, withClients: boolean): string {
  const { cluster, workload, policies } = result;
  const distinct = (values: readonly string[]): string => [...new Set(values)].join(', ');
  const clients = withClients ? ` (clients ${distinct(policies.map((entry) => entry.client))})` : result.proxies ? ` (data planes ${result.proxies.join(', ')})` : '';
  const traits = [cluster.speeds ? `speeds ${cluster.speeds.join(',')}` : '', cluster.weights ? `weights ${cluster.weights.join(',')}` : ''].filter(Boolean).join(' · ');
  return `<h1>lbx bench: ${escapeHtml(`${distinct(policies.map((entry) => entry.policy)) || 'no policies'}${clients}`)}</h1><p class="meta">${escapeHtml(
    `cluster ${cluster.name} · ${cluster.backends} backends · ${cluster.mode} mode · ${cluster.registry} registry${traits ? ` · ${traits}` : ''} · workload ${workload.simple} simple + ${workload.heavy} heavy, concurrency ${workload.concurrency}, seed ${workload.seed}${workload.keys ? `, ${workload.keys} keys` : ''} · started ${new Date(result.startedAtUnixMs).toISOString()}`,
  )}</p>`;
}

/** With --proxy: each run's proxy CPU per 1,000 calls as bars. */
function renderProxyCpuChart(policies: readonly BenchPolicyResult[], labelOf: (entry: BenchPolicyResult) => string): string {
  return renderBarChart({
    chart: 'proxy-cpu',
    title: 'Proxy CPU per 1,000 calls, per policy and data plane (from /proc)',
    series: ['proxy CPU ms/1k'],
    groups: policies.map((entry) => ({ label: labelOf(entry), values: [entry.proxyCpuMsPer1000 ?? 0] })),
    unit: 'ms',
    height: 190,
  });
}

/** Every run's figures in one table, its client or data plane (and proxy CPU, load before) when compared, its share of each backend. */
function renderFiguresTable(policies: readonly BenchPolicyResult[], addresses: readonly string[], shown: { withClients: boolean; withProxies: boolean }): string {
  const { withClients, withProxies } = shown;
  const orDash = (value: number | undefined, format: (value: number) => string): string => (value === undefined ? '—' : format(value));
  return renderHtmlTable({
    headers: [
      'policy',
      ...(withClients ? ['client'] : []),
      ...(withProxies ? ['proxy'] : []),
      'requests/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'imbalance',
      'failed',
      ...(withProxies ? ['proxy CPU ms/1k', 'load before'] : []),
      ...addresses,
    ],
    rows: policies.map((entry) => [
      entry.policy,
      ...(withClients ? [entry.client] : []),
      ...(withProxies ? [entry.proxy ?? 'lbx'] : []),
      formatFigure(entry.summary.throughputPerSec),
      formatFigure(entry.summary.latencyMs.p50),
      formatFigure(entry.summary.latencyMs.p90),
      formatFigure(entry.summary.latencyMs.p99),
      formatFigure(entry.summary.latencyMs.max),
      entry.imbalance.toFixed(2),
      formatFigure(entry.summary.failed),
      ...(withProxies ? [orDash(entry.proxyCpuMsPer1000, formatFigure), orDash(entry.loadAverage1m, (load) => load.toFixed(2))] : []),
      ...addresses.map((address) => {
        const share = entry.summary.backends.find((backend) => backend.address === address)?.share ?? 0;
        return `${(share * 100).toFixed(1)}%`;
      }),
    ]),
  });
}

/** What the page draws: a whole bench result (schema lbx.bench/v1); thresholds are the terminal's business. */
export type BenchHtmlInput = BenchResult;
export type BenchHtmlPolicy = BenchPolicyResult;

export function renderBenchHtml(result: BenchResult): string {
  const { cluster, policies } = result;
  const addresses = [...new Set(policies.flatMap((entry) => entry.summary.backends.map((backend) => backend.address)))].sort(compareAddresses);
  const okAt = (entry: BenchHtmlPolicy, address: string): number => entry.summary.backends.find((backend) => backend.address === address)?.ok ?? 0;
  // Each arm's label: its policy, and its client when clients were compared ("round_robin · xds").
  const withClients = comparesClients(result);
  const withProxies = comparesProxies(result);
  const labelOf = (entry: BenchHtmlPolicy): string =>
    withClients ? `${entry.policy} · ${entry.client}` : withProxies ? `${entry.policy} · ${entry.proxy ?? 'lbx'}` : entry.policy;
  const perArm = withClients ? ' and client' : withProxies ? ' and data plane' : '';
  const sections: string[] = [];

  sections.push(renderHeading(result, withClients));
  // With --proxy: how the arms ran, the kill, the refused arms (as the terminal says them).
  const notes = renderProxyNotes(result);
  if (notes.length > 0) sections.push(`<ul class="meta">${notes.map((line) => `<li>${escapeHtml(line)}</li>`).join('')}</ul>`);

  if (policies.length === 0) return renderHtmlPage('lbx bench', `${sections.join('\n')}<p class="empty">No policy was run.</p>`);

  sections.push(
    '<h2>Requests per backend</h2>',
    renderBarChart({
      chart: 'requests-per-backend',
      title: `Requests served ok per backend, per policy${perArm}`,
      series: addresses,
      groups: policies.map((entry) => ({ label: labelOf(entry), values: addresses.map((address) => okAt(entry, address)) })),
      unit: 'requests',
      integer: true,
    }),
    '<h2>Latency and throughput</h2>',
    renderBarChart({
      chart: 'latency-percentiles',
      title: `Latency percentiles per policy${perArm}`,
      series: ['p50', 'p90', 'p99', 'max'],
      groups: policies.map((entry) => ({
        label: labelOf(entry),
        values: [entry.summary.latencyMs.p50, entry.summary.latencyMs.p90, entry.summary.latencyMs.p99, entry.summary.latencyMs.max],
      })),
      unit: 'ms',
    }),
    renderBarChart({
      chart: 'throughput',
      title: `Throughput per policy${perArm}`,
      series: ['requests/s'],
      groups: policies.map((entry) => ({ label: labelOf(entry), values: [entry.summary.throughputPerSec] })),
      unit: 'requests/s',
      height: 190,
    }),
    ...(withProxies ? [renderProxyCpuChart(policies, labelOf)] : []),
    renderFiguresTable(policies, addresses, { withClients, withProxies }),
  );

  sections.push('<h2>Load over time</h2>');
  const charted = policies.filter((entry) => (entry.loadSeries ?? []).some((series) => series.points.length > 0));
  if (charted.length === 0) sections.push('<p class="empty">No load series was recorded in this bench.</p>');
  for (const entry of charted) {
    const series = [...(entry.loadSeries ?? [])].filter((line) => line.points.length > 0).sort((a, b) => compareAddresses(a.address, b.address));
    const backends = series.map((line) => ({ address: line.address, samples: line.points }));
    sections.push(
      ...renderLoadCharts(backends, [
        {
          figure: 'utilisation',
          chart: 'load-over-time',
          titlePrefix: labelOf(entry),
          height: 220,
          attributes: { policy: entry.policy, ...(withClients ? { client: entry.client } : {}), ...(withProxies ? { proxy: entry.proxy ?? 'lbx' } : {}) },
        },
      ]).html,
    );
  }

  return renderHtmlPage(`lbx bench: ${cluster.name}`, sections.join('\n'));
}
