// Tables for `lbx bench`: one line per policy (per policy and client with --client lbx,xds, per policy and data plane with --proxy), then each one's split over the backends as bars.
import type { BenchPolicyResult, BenchResult, SkippedArm } from '../runtime/bench/bench-result.js';
import { renderBar } from './bars.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderTable } from './table.js';

/** The port of host:port, short enough for a split column. */
const portOf = (address: string): string => address.slice(address.lastIndexOf(':') + 1);

/** True when a bench ran a client other than lbx's own (`--client xds`, `--client lbx,xds`): then CLIENT is a column. */
export const comparesClients = (result: Pick<BenchResult, 'policies'>): boolean => result.policies.some((entry) => entry.client !== 'lbx');

/** An optional column's header, value or alignment (CLIENT when clients were compared, PROXY … with --proxy); nothing otherwise, so a plain bench prints as before. */
const optionalColumn = <T>(shown: boolean, value: T): T[] => (shown ? [value] : []);

/** True when `--proxy` compared data planes: then PROXY and PROXY CPU MS/1K are columns, and refused arms are rows. */
export const comparesProxies = (result: Pick<BenchResult, 'proxies'>): boolean => result.proxies !== undefined;

/** A row of the comparison: an arm measured, or (with --proxy) one a data plane refused. */
type ComparisonRow = { readonly kind: 'measured'; readonly entry: BenchPolicyResult } | { readonly kind: 'skipped'; readonly skip: SkippedArm };

/** The measured arms in their order, with the refused ones after their policy's measured arms (policies and data planes in the order asked). */
function comparisonRows(result: BenchResult): ComparisonRow[] {
  const rows: ComparisonRow[] = [
    ...result.policies.map((entry) => ({ kind: 'measured' as const, entry })),
    ...(result.skipped ?? []).map((skip) => ({ kind: 'skipped' as const, skip })),
  ];
  const policyOrder = [...new Set(rows.map((row) => (row.kind === 'measured' ? row.entry.policy : row.skip.policy)))];
  const proxies = result.proxies ?? [];
  const rank = (row: ComparisonRow): number => {
    const { policy, proxy } = row.kind === 'measured' ? row.entry : row.skip;
    return policyOrder.indexOf(policy) * (proxies.length + 1) + (proxy === undefined ? 0 : proxies.indexOf(proxy));
  };
  return result.policies.length > 0 && proxies.length > 0 ? rows.sort((a, b) => rank(a) - rank(b)) : rows;
}

export function renderBenchComparison(result: BenchResult): string {
  const withClients = comparesClients(result);
  const withProxies = comparesProxies(result);
  const measuredRow = ({ policy, client, proxy, summary, imbalance, proxyCpuMsPer1000, loadAverage1m }: BenchPolicyResult): string[] => [
    policy,
    ...optionalColumn(withClients, client),
    ...optionalColumn(withProxies, proxy ?? ''),
    formatRate(summary.throughputPerSec),
    formatMs(summary.latencyMs.p50),
    formatMs(summary.latencyMs.p90),
    formatMs(summary.latencyMs.p99),
    formatMs(summary.latencyMs.max),
    imbalance.toFixed(2),
    formatCount(summary.failed),
    ...optionalColumn(withProxies, proxyCpuMsPer1000 === undefined ? '—' : formatMs(proxyCpuMsPer1000)),
    ...optionalColumn(withProxies, loadAverage1m === undefined ? '—' : loadAverage1m.toFixed(2)),
    summary.backends.map((backend) => `${portOf(backend.address)}:${Math.round(backend.share * 100)}%`).join(' '),
  ];
  // A refused arm keeps its place, its figures dashes: "skipped" and the reason below the table.
  const skippedRow = ({ policy, proxy }: SkippedArm): string[] => [policy, ...optionalColumn(withClients, 'lbx'), proxy, ...Array<string>(9).fill('—'), 'skipped (see below)'];
  return renderTable(
    [
      'POLICY',
      ...optionalColumn(withClients, 'CLIENT'),
      ...optionalColumn(withProxies, 'PROXY'),
      'THROUGHPUT',
      'P50 MS',
      'P90 MS',
      'P99 MS',
      'MAX MS',
      'IMBALANCE',
      'FAILED',
      ...(withProxies ? ['PROXY CPU MS/1K', 'LOAD'] : []),
      'SPLIT',
    ],
    comparisonRows(result).map((row) => (row.kind === 'measured' ? measuredRow(row.entry) : skippedRow(row.skip))),
    [
      'left',
      ...optionalColumn(withClients, 'left' as const),
      ...optionalColumn(withProxies, 'left' as const),
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      ...(withProxies ? (['right', 'right'] as const) : []),
      'left',
    ],
  );
}

/** With --proxy: how the arms ran (one cluster per data plane, in sequence), the load average before each, the kill, the refused arms. */
export function renderProxyNotes(result: BenchResult): string[] {
  if (!comparesProxies(result)) return [];
  const lines = [
    'data planes ran one after the other, each on a private cluster of its own (same ports, backends and seed); LOAD: the 1-min load average just before each run',
    "PROXY CPU MS/1K: CPU ms of the proxy's processes per 1,000 calls, from /proc (lbx: the LB; haproxy, nginx: master and workers)",
  ];
  const killed = [...new Set(result.policies.flatMap((entry) => (entry.killedBackend === undefined ? [] : [entry.killedBackend])))];
  if (killed.length > 0) lines.push(`--kill-during: backend ${killed.join(', ')} SIGKILLed halfway through each run (started again after it); FAILED counts what it cost`);
  for (const skip of result.skipped ?? []) lines.push(`skipped: ${skip.policy} on ${skip.proxy}: ${skip.reason}`);
  return lines;
}

/** Per policy (and client, or data plane), each backend's ok count and share with a bar; the policy, client and data plane named on its first row only. */
export function renderBenchDistribution(result: BenchResult, options: { color?: boolean } = {}): string {
  const withClients = comparesClients(result);
  const withProxies = comparesProxies(result);
  return renderTable(
    ['POLICY', ...optionalColumn(withClients, 'CLIENT'), ...optionalColumn(withProxies, 'PROXY'), 'BACKEND', 'REQUESTS', 'SHARE', ''],
    result.policies.flatMap(({ policy, client, proxy, summary }) =>
      summary.backends.map((backend, index) => [
        index === 0 ? policy : '',
        ...optionalColumn(withClients, index === 0 ? client : ''),
        ...optionalColumn(withProxies, index === 0 ? (proxy ?? '') : ''),
        backend.address,
        formatCount(backend.ok),
        formatPercent(backend.share),
        renderBar(backend.share, { color: options.color ?? false }),
      ]),
    ),
    ['left', ...optionalColumn(withClients, 'left' as const), ...optionalColumn(withProxies, 'left' as const), 'left', 'right', 'right', 'left'],
  );
}

/** Everything `lbx bench` prints on stdout: the cluster and workload line, the comparison, the split per backend. */
export function renderBenchResult(result: BenchResult, options: { color: boolean; keys?: number; html?: string }): string {
  const { cluster, workload } = result;
  const lines = [
    `cluster "${cluster.name}": ${cluster.backends} backends, ${cluster.mode} mode, ${cluster.registry} registry    workload: ${workload.simple} simple + ${workload.heavy} heavy, concurrency ${workload.concurrency}, seed ${workload.seed}${options.keys === undefined ? '' : `, ${options.keys} keys`}`,
    '',
    renderBenchComparison(result),
    ...(comparesProxies(result) ? ['', ...renderProxyNotes(result)] : []),
    '',
    renderBenchDistribution(result, { color: options.color }),
  ];
  if (result.interrupted) {
    const measured =
      comparesClients(result) || comparesProxies(result)
        ? `${result.policies.length} run${result.policies.length === 1 ? '' : 's'}`
        : `${result.policies.length} polic${result.policies.length === 1 ? 'y' : 'ies'}`;
    lines.push('', `interrupted: ${measured} measured; the last one covers only the tasks that started`);
  }
  if (options.html !== undefined) lines.push('', `HTML report: ${options.html}`);
  return lines.join('\n');
}
