// Plain, aligned tables for stdout (cli-table3 without borders or colour, so they read well in CI logs and pipes).
import Table from 'cli-table3';

export type Cell = string | number;
export type Align = 'left' | 'right';

const NO_BORDERS = {
  top: '', 'top-mid': '', 'top-left': '', 'top-right': '',
  bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '',
  left: '', 'left-mid': '', mid: '', 'mid-mid': '',
  right: '', 'right-mid': '', middle: '  ',
};

/** Renders rows under a header; numbers right-aligned unless `align` says otherwise. */
export function renderTable(head: readonly string[], rows: readonly (readonly Cell[])[], align?: readonly Align[]): string {
  const colAligns = head.map((_, column) => align?.[column] ?? (typeof rows[0]?.[column] === 'number' ? 'right' : 'left'));
  const table = new Table({
    head: [...head],
    chars: NO_BORDERS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0, compact: true },
    colAligns,
  });
  for (const row of rows) table.push(row.map((cell) => String(cell)));
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}
