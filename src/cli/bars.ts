// Horizontal bars for shares in terminal tables: eighth-block precision, so a skew shows at a glance.

/** Width in cells of a bar at 100%. */
export const DEFAULT_BAR_WIDTH = 20;

/** Partial cells, by eighths (index 1 = ▏ … 7 = ▉); a full cell is █. */
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;
const FULL = '█';
const CYAN = '\u001b[36m';
const RESET = '\u001b[39m';

export interface BarOptions {
  /** Cells at a share of 1 (default DEFAULT_BAR_WIDTH). */
  readonly width?: number;
  /** Wrap the bar in a colour code; callers decide with shouldColor(). */
  readonly color?: boolean;
  /** Pad with spaces to the full width, so text after the bar lines up. */
  readonly pad?: boolean;
}

/** A bar whose length is `share` (0..1, clamped) of `width` cells, to the nearest eighth of a cell. */
export function renderBar(share: number, options: BarOptions = {}): string {
  const width = options.width ?? DEFAULT_BAR_WIDTH;
  const clamped = Number.isFinite(share) ? Math.min(1, Math.max(0, share)) : 0;
  const eighths = Math.round(clamped * width * 8);
  const bar = FULL.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8];
  const padded = options.pad ? bar + ' '.repeat(width - [...bar].length) : bar;
  return options.color && bar.length > 0 ? `${CYAN}${padded}${RESET}` : padded;
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function shouldColor(stream: { readonly isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(stream.isTTY) && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}
