// Tables for one `lbx send` run: distribution per backend, then totals.
import type { RunSummary } from '../core/stats/run-ledger.js';
import type { SavedRun } from '../runtime/cluster/run-store.js';
import { renderBar, shouldColor } from './bars.js';
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

/** What `lbx send` prints on stdout: the distribution, the totals, the LB waits, and whether the run was cut short. */
export function renderSendRun(run: SavedRun): string {
  const parts = [renderRunDistribution(run.summary, { color: shouldColor(process.stdout, process.env) }), '', renderRunTotals(run.summary)];
  if (run.lbWaits > 0) parts.push(`waited for the LB ${formatCount(run.lbWaits)} time${run.lbWaits === 1 ? '' : 's'} (it was unreachable or restarting; waits use no retries)`);
  if (run.interrupted) parts.push(`interrupted: ${formatCount(run.summary.sent)} of ${formatCount(run.planned)} tasks started; each of them ended once, as counted above`);
  return parts.join('\n');
}
