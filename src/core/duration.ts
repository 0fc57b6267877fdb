// Durations as people type them (500ms, 30s, 2m, 1m30s; a bare number is milliseconds): the one parser behind every lbx duration flag.
import { LbxError } from './lbx-error.js';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** What the parser accepts, for error messages and help text. */
export const DURATION_FORMS = 'a number with a unit ms, s, m or h (500ms, 30s, 2m, 1m30s), or a bare number of milliseconds';

/** A bare number (milliseconds, as lbx flags always took) or one or more number+unit parts, each unit once, largest first ("1m30s"). */
const BARE = /^(\d+(?:\.\d+)?|\.\d+)$/;
const PART = /(\d+(?:\.\d+)?|\.\d+)\s*(ms|h|m|s)/gy;

/** The duration in ms (may be fractional: "0.5ms"), or undefined when `text` is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (BARE.test(trimmed)) return Number(trimmed);
  if (trimmed === '') return undefined;
  PART.lastIndex = 0;
  let totalMs = 0;
  let lastUnitMs = Number.POSITIVE_INFINITY;
  let end = 0;
  for (let match = PART.exec(trimmed); match !== null; match = PART.exec(trimmed)) {
    const unitMs = UNIT_MS[match[2]!]!;
    // "30s1m" or "1s1s" is more likely a typo than a sum someone meant.
    if (unitMs >= lastUnitMs) return undefined;
    lastUnitMs = unitMs;
    totalMs += Number(match[1]) * unitMs;
    end = PART.lastIndex;
    while (trimmed[end] === ' ') end += 1;
    PART.lastIndex = end;
  }
  return end === trimmed.length && end > 0 ? totalMs : undefined;
}

/** A short human form of a whole number of ms: 500ms, 30s, 2m, 1m30s, 1h. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0';
  if (!Number.isInteger(ms) || ms < 1_000 || ms % 1_000 !== 0) return `${ms}ms`;
  let rest = ms / 1_000;
  const hours = Math.floor(rest / 3_600);
  rest -= hours * 3_600;
  const minutes = Math.floor(rest / 60);
  const seconds = rest - minutes * 60;
  return `${hours > 0 ? `${hours}h` : ''}${minutes > 0 ? `${minutes}m` : ''}${seconds > 0 ? `${seconds}s` : ''}`;
}

export interface DurationBounds {
  readonly minMs: number;
  readonly maxMs: number;
  /** Round to whole milliseconds (timers and intervals); false keeps fractions (a latency limit). */
  readonly isWholeMs?: boolean;
}

/** `text` given to `flag` as ms within bounds; a usage error naming the flag, the value and the accepted forms otherwise. */
export function parseDurationFlag(flag: string, text: string, bounds: DurationBounds): number {
  const parsed = parseDurationMs(text);
  const range = `from ${formatDurationMs(bounds.minMs)} to ${formatDurationMs(bounds.maxMs)}`;
  if (parsed === undefined) {
    throw new LbxError('usage', `${flag} "${text}" is not a duration: expected ${DURATION_FORMS}, ${range}`);
  }
  const ms = bounds.isWholeMs === false ? parsed : Math.round(parsed);
  if (ms < bounds.minMs || ms > bounds.maxMs) {
    throw new LbxError('usage', `${flag} "${text}" is out of range: expected ${range} (a bare number is milliseconds)`);
  }
  return ms;
}
