// Tables for `lbx bench`: one line per policy, then each policy's split over the backends as bars.
import type { BenchResult } from '../runtime/bench/bench-result.js';
import { renderBar } from './bars.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderTable } from './table.js';

/** The port of host:port, short enough for a split column. */
const portOf = (address: string): string => address.slice(address.lastIndexOf(':') + 1);

export function renderBenchComparison(result: BenchResult): string {
  return renderTable(
    ['POLICY', 'THROUGHPUT', 'P50 MS', 'P90 MS', 'P99 MS', 'MAX MS', 'IMBALANCE', 'FAILED', 'SPLIT'],
    result.policies.map(({ policy, summary, imbalance }) => [
      policy,
      formatRate(summary.throughputPerSec),
      formatMs(summary.latencyMs.p50),
      formatMs(summary.latencyMs.p90),
      formatMs(summary.latencyMs.p99),
      formatMs(summary.latencyMs.max),
      imbalance.toFixed(2),
      formatCount(summary.failed),
      summary.backends.map((backend) => `${portOf(backend.address)}:${Math.round(backend.share * 100)}%`).join(' '),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}

/** Per policy, each backend's ok count and share with a bar; the policy named on its first row only. */
export function renderBenchDistribution(result: BenchResult, options: { color?: boolean } = {}): string {
  return renderTable(
    ['POLICY', 'BACKEND', 'REQUESTS', 'SHARE', ''],
    result.policies.flatMap(({ policy, summary }) =>
      summary.backends.map((backend, index) => [
        index === 0 ? policy : '',
        backend.address,
        formatCount(backend.ok),
        formatPercent(backend.share),
        renderBar(backend.share, { color: options.color ?? false }),
      ]),
    ),
    ['left', 'left', 'right', 'right', 'left'],
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
  if (result.interrupted)
    lines.push('', `interrupted: ${result.policies.length} polic${result.policies.length === 1 ? 'y' : 'ies'} measured; the last one covers only the tasks that started`);
  if (options.html !== undefined) lines.push('', `HTML report: ${options.html}`);
  return lines.join('\n');
}
