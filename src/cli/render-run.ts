// Tables for one `lbx send` run: distribution per backend, then totals.
import type { RunSummary } from '../core/stats/run-ledger.js';
import { renderBar } from './bars.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderTable } from './table.js';

/** `color` tints the share bars (callers pass shouldColor(process.stdout, process.env)). */
export function renderRunDistribution(summary: RunSummary, options: { color?: boolean } = {}): string {
  return renderTable(
    ['BACKEND', 'REQUESTS', 'SHARE', '', 'P50 MS', 'P99 MS', 'ERRORS'],
    summary.backends.map((backend) => [
      backend.address,
      formatCount(backend.ok),
      formatPercent(backend.share),
      renderBar(backend.share, { color: options.color ?? false, pad: true }),
      formatMs(backend.latencyMs.p50),
      formatMs(backend.latencyMs.p99),
      formatCount(backend.errors),
    ]),
    ['left', 'right', 'right', 'left', 'right', 'right', 'right'],
  );
}

export function renderRunTotals(summary: RunSummary): string {
  const latency = summary.latencyMs;
  const lines = [
    `sent ${formatCount(summary.sent)}  ok ${formatCount(summary.ok)}  failed ${formatCount(summary.failed)}  retried ${formatCount(summary.retried)}  in ${(summary.elapsedMs / 1_000).toFixed(2)} s  throughput ${formatRate(summary.throughputPerSec)}`,
    `latency ms  p50 ${formatMs(latency.p50)}  p90 ${formatMs(latency.p90)}  p99 ${formatMs(latency.p99)}  max ${formatMs(latency.max)}  mean ${formatMs(latency.mean)}`,
  ];
  for (const [reason, count] of Object.entries(summary.failuresByReason)) lines.push(`failed ${formatCount(count)} × ${reason}`);
  return lines.join('\n');
}
