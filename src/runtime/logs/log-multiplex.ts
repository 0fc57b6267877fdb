// Multiplexing component logs (pure): which components a filter selects, their order, merging by time stamp, aligned name prefixes.

export interface LogLine {
  readonly component: string;
  readonly text: string;
  /** The line's leading ISO time stamp; undefined when it has none. */
  readonly atUnixMs?: number;
}

/** Every role writes "2026-01-02T03:04:05.678Z message" (src/cli/role-log.ts); a registry or child tool may not. */
const ISO_TIME_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))(?:\s|$)/;

/** Selects every backend. */
export const ALL_BACKENDS = 'backend';

export function parseLogLine(component: string, text: string): LogLine {
  const match = ISO_TIME_PREFIX.exec(text);
  const atUnixMs = match ? Date.parse(match[1] ?? '') : Number.NaN;
  return Number.isNaN(atUnixMs) ? { component, text } : { component, text, atUnixMs };
}

const ROLE_ORDER = ['supervisor', 'guard', 'registry', 'etcd', 'consul', 'lb'];
const BACKEND_NAME = /^backend-(\d+)$/;

/** Display order: the supervisor, the registry, the LB, then backends by port, then anything else by name. */
export function compareComponents(a: string, b: string): number {
  const rank = (name: string): number => {
    const role = ROLE_ORDER.indexOf(name);
    if (role >= 0) return role;
    return BACKEND_NAME.test(name) ? ROLE_ORDER.length : ROLE_ORDER.length + 1;
  };
  const byRank = rank(a) - rank(b);
  if (byRank !== 0) return byRank;
  const portA = BACKEND_NAME.exec(a)?.[1];
  const portB = BACKEND_NAME.exec(b)?.[1];
  if (portA !== undefined && portB !== undefined) return Number(portA) - Number(portB);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether `component` passes the filter: no filter, its exact name, or "backend" for every backend. */
export function matchesComponent(component: string, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  if (filter === ALL_BACKENDS) return BACKEND_NAME.test(component);
  return component === filter;
}

/**
 * One stream from per-component lines (each group in its file's order), ordered by time stamp.
 * A line without one (a stack trace, a runtime warning on stderr) keeps its place after the
 * line before it in its file (or before the first stamped one). Ties keep component order, then
 * file order. When a whole non-empty file has no time stamp at all, its lines cannot be placed
 * among the others: then it is component after component.
 */
export function mergeLogLines(groups: readonly (readonly LogLine[])[]): LogLine[] {
  const timed: { line: LogLine; atUnixMs: number }[] = [];
  for (const group of groups) {
    const firstStamp = group.find((line) => line.atUnixMs !== undefined)?.atUnixMs;
    if (firstStamp === undefined && group.length > 0) return groups.flat();
    let current = firstStamp ?? 0;
    for (const line of group) {
      current = line.atUnixMs ?? current;
      timed.push({ line, atUnixMs: current });
    }
  }
  // Array.prototype.sort is stable, so equal times keep file order and component order.
  return timed.sort((a, b) => a.atUnixMs - b.atUnixMs).map((entry) => entry.line);
}

/** The prefix width that aligns every shown component's bar. */
export const prefixWidth = (components: readonly string[]): number => Math.max(0, ...components.map((name) => name.length));

/** "lb            | text": the name padded to `width`, then a bar. */
export const formatLogLine = (line: LogLine, width: number): string => `${line.component.padEnd(width)} | ${line.text}`;
