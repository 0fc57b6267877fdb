// Tables for `lbx bench`: one line per policy (per policy and client with --client lbx,xds), then each one's split over the backends as bars.
import type { BenchResult } from '../runtime/bench/bench-result.js';
import { renderBar } from './bars.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderTable } from './table.js';

/** The port of host:port, short enough for a split column. */
const portOf = (address: string): string => address.slice(address.lastIndexOf(':') + 1);

/** True when a bench ran a client other than lbx's own (`--client xds`, `--client lbx,xds`): then CLIENT is a column. */
export const comparesClients = (result: Pick<BenchResult, 'policies'>): boolean => result.policies.some((entry) => entry.client !== 'lbx');

/** The CLIENT column's header, value and alignment when clients were compared; nothing otherwise, so a plain bench prints as before. */
const clientColumn = <T>(shown: boolean, value: T): T[] => (shown ? [value] : []);

export function renderBenchComparison(result: BenchResult): string {
  const withClients = comparesClients(result);
  return renderTable(
    ['POLICY', ...clientColumn(withClients, 'CLIENT'), 'THROUGHPUT', 'P50 MS', 'P90 MS', 'P99 MS', 'MAX MS', 'IMBALANCE', 'FAILED', 'SPLIT'],
    result.policies.map(({ policy, client, summary, imbalance }) => [
      policy,
      ...clientColumn(withClients, client),
      formatRate(summary.throughputPerSec),
      formatMs(summary.latencyMs.p50),
      formatMs(summary.latencyMs.p90),
      formatMs(summary.latencyMs.p99),
      formatMs(summary.latencyMs.max),
      imbalance.toFixed(2),
      formatCount(summary.failed),
      summary.backends.map((backend) => `${portOf(backend.address)}:${Math.round(backend.share * 100)}%`).join(' '),
    ]),
    ['left', ...clientColumn(withClients, 'left' as const), 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}

/** Per policy (and client), each backend's ok count and share with a bar; the policy and client named on its first row only. */
export function renderBenchDistribution(result: BenchResult, options: { color?: boolean } = {}): string {
  const withClients = comparesClients(result);
  return renderTable(
    ['POLICY', ...clientColumn(withClients, 'CLIENT'), 'BACKEND', 'REQUESTS', 'SHARE', ''],
    result.policies.flatMap(({ policy, client, summary }) =>
      summary.backends.map((backend, index) => [
        index === 0 ? policy : '',
        ...clientColumn(withClients, index === 0 ? client : ''),
        backend.address,
        formatCount(backend.ok),
        formatPercent(backend.share),
        renderBar(backend.share, { color: options.color ?? false }),
      ]),
    ),
    ['left', ...clientColumn(withClients, 'left' as const), 'left', 'right', 'right', 'left'],
  );
}

/** Everything `lbx bench` prints on stdout: the cluster and workload line, the comparison, the split per backend. */
export function renderBenchResult(result: BenchResult, options: { color: boolean; keys?: number; html?: string }): string {
  const { cluster, workload } = result;
  const lines = [
    `cluster "${cluster.name}": ${cluster.backends} backends, ${cluster.mode} mode, ${cluster.registry} registry    workload: ${workload.simple} simple + ${workload.heavy} heavy, concurrency ${workload.concurrency}, seed ${workload.seed}${options.keys === undefined ? '' : `, ${options.keys} keys`}`,
    '',
    renderBenchComparison(result),
    '',
    renderBenchDistribution(result, { color: options.color }),
  ];
  if (result.interrupted) {
    const measured = comparesClients(result)
      ? `${result.policies.length} run${result.policies.length === 1 ? '' : 's'}`
      : `${result.policies.length} polic${result.policies.length === 1 ? 'y' : 'ies'}`;
    lines.push('', `interrupted: ${measured} measured; the last one covers only the tasks that started`);
  }
  if (options.html !== undefined) lines.push('', `HTML report: ${options.html}`);
  return lines.join('\n');
}
