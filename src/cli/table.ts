// Plain, aligned tables for stdout (cli-table3 without borders or colour, so they read well in CI logs and pipes).
import Table from 'cli-table3';

export type Cell = string | number;
export type Align = 'left' | 'right';

const NO_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
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

/** Terminal width of a table line: colour codes take no room. */
export const visibleWidth = (line: string): number => [...line.replace(/\u001b\[[0-9;]*m/g, '')].length;

/** One column of a fitted table; `keep` orders what goes first when the table is too wide (lowest first; Infinity never). */
export interface Column<T> {
  readonly head: string;
  readonly align?: Align;
  readonly cell: (row: T) => string;
  readonly keep?: number;
}

/**
 * A table no wider than `maxWidth`: the columns with the lowest `keep` are dropped until it fits
 * (or only unconditional ones are left). Returns the text and the heads of dropped columns.
 */
export function renderFittedTable<T>(columns: readonly Column<T>[], rows: readonly T[], maxWidth: number): { text: string; dropped: string[] } {
  let shown = [...columns];
  const dropped: string[] = [];
  for (;;) {
    const text = renderTable(
      shown.map((column) => column.head),
      rows.map((row) => shown.map((column) => column.cell(row))),
      shown.map((column) => column.align ?? 'left'),
    );
    const droppable = shown.filter((column) => (column.keep ?? Number.POSITIVE_INFINITY) !== Number.POSITIVE_INFINITY);
    if (droppable.length === 0 || Math.max(...text.split('\n').map(visibleWidth)) <= maxWidth) return { text, dropped };
    const first = droppable.reduce((low, column) => ((column.keep ?? 0) < (low.keep ?? 0) ? column : low));
    shown = shown.filter((column) => column !== first);
    dropped.push(first.head);
  }
}

/** Prose wrapped at `maxWidth` between words; continuation lines indented by `indent` spaces. */
export function wrapLine(line: string, maxWidth: number, indent = 2): string {
  if (visibleWidth(line) <= maxWidth) return line;
  const lines: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    const candidate = current === '' ? word : `${current} ${word}`;
    if (visibleWidth(candidate) > maxWidth && current.trim() !== '') {
      lines.push(current);
      current = `${' '.repeat(indent)}${word}`;
    } else {
      current = candidate;
    }
  }
  lines.push(current);
  return lines.join('\n');
}
