// The table of `lbx bench --scenario gray`: the baseline, then one row per policy without and with defences, the best defended marked and named.
import type { GrayResult, GrayRow } from '../runtime/bench/gray-scenario.js';
import { formatCount, formatMs, formatRate } from './format.js';
import { renderTable } from './table.js';

/** Error share with two decimals: 0.1 % (the target) must be readable. */
export const formatErrorPercent = (rate: number): string => `${(rate * 100).toFixed(2)}%`;

/** The row's label in the DEFENCES column and the HTML page. */
export const defencesLabel = (row: Pick<GrayRow, 'defences'>): string => (row.defences === 'baseline' ? 'baseline, no faults' : row.defences);

/** True for the defended row `best` names. */
export const isBestRow = (result: Pick<GrayResult, 'best'>, row: GrayRow): boolean => row.defences === 'defended' && row.policy === result.best?.policy;

export function renderGrayTable(result: GrayResult): string {
  const rows = [result.baseline, ...result.rows].map((row) => [
    `${isBestRow(result, row) ? '* ' : ''}${row.policy}`,
    defencesLabel(row),
    formatRate(row.goodputPerSec),
    formatErrorPercent(row.errorRate),
    formatMs(row.latencyMs.p50),
    formatMs(row.latencyMs.p99),
    formatMs(row.latencyMs.p999),
    row.defences === 'baseline' ? '1.00' : row.p99OverBaseline.toFixed(2),
    row.outlierDetection ? `on, ${formatCount(row.ejections)} ejected` : 'off',
    `${formatCount(row.ok)}+${formatCount(row.failed)}=${formatCount(row.sent)}${row.reconciled ? ' yes' : ' NO'}`,
  ]);
  return renderTable(['POLICY', 'DEFENCES', 'GOODPUT', 'ERRORS', 'P50 MS', 'P99 MS', 'P99.9 MS', 'P99 ÷ BASELINE', 'OUTLIER DETECTION', 'OK+FAILED=SENT RECONCILED'], rows, [
    'left',
    'left',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
    'right',
  ]);
}

/** The lines under the table: what ran, the best defended against the targets, what every row reconciling means. */
export function renderGrayNotes(result: GrayResult): string[] {
  const { targets, best } = result;
  const lines = [
    `faults: ${result.faults.map((fault) => `${fault.address} ${fault.fault}`).join(', ')}; healthy: ${result.healthy.join(', ')}`,
    `defences: none = ${result.defences.none}; defended = ${result.defences.defended}; every arm sends with ${result.workload.workers} send worker(s), so the LB hears several reporters`,
    `baseline: ${result.baseline.policy} on the same ${result.cluster.backends} backends before any fault, no defences (p99 ${formatMs(result.baseline.latencyMs.p99)} ms)`,
  ];
  if (best !== undefined) {
    const verdict = best.meetsTargets ? 'targets met' : 'targets NOT met';
    lines.push(
      `* best defended: ${best.policy}: p99 ${best.p99OverBaseline.toFixed(2)}× the baseline (target ≤ ${targets.maxP99OverBaseline}×), errors ${formatErrorPercent(best.errorRate)} (target ≤ ${formatErrorPercent(targets.maxErrorRate)}): ${verdict}`,
    );
  }
  const all = [result.baseline, ...result.rows];
  lines.push(
    all.every((row) => row.reconciled)
      ? 'every row reconciles: every task ended once, and report matches the backends'
      : `NOT reconciled: ${all
          .filter((row) => !row.reconciled)
          .map((row) => `${row.policy} ${row.defences}`)
          .join(', ')}`,
  );
  return lines;
}

/** Everything `bench --scenario gray` prints on stdout. */
export function renderGrayResult(result: GrayResult, options: { html?: string } = {}): string {
  const { cluster, workload } = result;
  const lines = [
    `gray scenario on cluster "${cluster.name}": ${cluster.backends} backends, ${cluster.mode} mode    workload: ${workload.simple} simple + ${workload.heavy} heavy, concurrency ${workload.concurrency}, seed ${workload.seed}, deadline ${workload.timeoutMs} ms`,
    '',
    renderGrayTable(result),
    '',
    ...renderGrayNotes(result),
  ];
  if (result.interrupted) lines.push('', 'interrupted: the last arm covers only the tasks that started; arms after it were not run');
  if (options.html !== undefined) lines.push('', `HTML report: ${options.html}`);
  return lines.join('\n');
}
