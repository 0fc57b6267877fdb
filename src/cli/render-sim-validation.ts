// Tables for `lbx sim --validate`: the supermarket model against its formulas, subsetting's connection spread.
import type { SubsettingRow, SupermarketRow } from '../core/sim/validations.js';
import { formatCount, formatPercent } from './format.js';
import { renderTable } from './table.js';

const signedPercent = (fraction: number): string => `${fraction >= 0 ? '+' : ''}${(fraction * 100).toFixed(2)}%`;

export function renderSupermarketRows(rows: readonly SupermarketRow[]): string {
  return renderTable(
    ['SERVERS', 'λ', 'CHOICES', 'REQUESTS', 'EXPECTED', 'SIMULATED', 'DEVIATION', 'TOLERANCE', 'RESULT'],
    rows.map((row) => [
      formatCount(row.servers),
      String(row.lambda),
      row.choices === 1 ? 'd=1 (random)' : 'd=2 (p2c)',
      formatCount(row.requests),
      row.expected.toFixed(3),
      row.simulated.toFixed(3),
      signedPercent(row.deviation),
      `±${formatPercent(row.tolerance)}`,
      row.passed ? 'ok' : 'FAIL',
    ]),
    ['right', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
}

export const SUPERMARKET_NOTE = 'mean time in system, service mean 1: d=1 expects 1/(1−λ) exactly; d=2 expects the n→∞ limit Σ λ^(2^i−2), which a finite n sits slightly above';

export function renderSubsettingRows(rows: readonly SubsettingRow[]): string {
  return renderTable(
    ['SUBSET', 'CLIENTS', 'BACKENDS', 'MIN', 'MEAN', 'MAX', 'MIN/MEAN', 'MAX/MEAN'],
    rows.map((row) => [
      row.subset,
      formatCount(row.clients),
      formatCount(row.backends),
      String(row.min),
      row.mean.toFixed(1),
      String(row.max),
      formatPercent(row.minOfMean),
      formatPercent(row.maxOfMean),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
}

export const SUBSETTING_NOTE = 'clients per backend (connections); the SRE book reports about 63%–121% of the mean for random subsets of 90 over 300 clients × 300 backends';
