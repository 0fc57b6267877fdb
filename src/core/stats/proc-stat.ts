// CPU time of a process tree from /proc/<pid>/stat lines (proc(5)): how `bench --proxy` charges each data plane's proxy processes.

/** The fields of one /proc/<pid>/stat line a CPU figure needs; times in clock ticks (CLK_TCK per second). */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** User and system time of the process itself. */
  readonly ownTicks: number;
  /** The same, to the nanosecond: the sum over its threads of /proc/<pid>/task/<tid>/schedstat's first field, where readable. */
  readonly ownNs?: number;
  /** User and system time of its children that exited and were reaped (cutime + cstime). */
  readonly reapedChildTicks: number;
}

/** Fields after the `(comm)` field, counted from 0: state, ppid, …, utime (11), stime (12), cutime (13), cstime (14). */
const PPID_AT = 1;
const UTIME_AT = 11;

/** One /proc/<pid>/stat line, or undefined when it is not one; comm may hold spaces and parentheses, so fields count from its last ')'. */
export function parseProcStat(line: string): ProcStat | undefined {
  const open = line.indexOf(' (');
  const close = line.lastIndexOf(')');
  if (open <= 0 || close < open) return undefined;
  const pid = Number(line.slice(0, open));
  const fields = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const [utime, stime, cutime, cstime] = fields.slice(UTIME_AT, UTIME_AT + 4).map(Number);
  const ppid = Number(fields[PPID_AT]);
  const figures = [pid, ppid, utime, stime, cutime, cstime];
  if (!figures.every((figure) => figure !== undefined && Number.isInteger(figure) && figure >= 0)) return undefined;
  return { pid, ppid, ownTicks: utime! + stime!, reapedChildTicks: cutime! + cstime! };
}

/** `root`'s descendants (children, their children, …) among `stats`, root excluded. */
export function descendantsOf(stats: readonly ProcStat[], root: number): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  const found: ProcStat[] = [];
  const queue = [root];
  const seen = new Set<number>([root]);
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * CPU ms spent by the tree under `root`: each descendant's own time and its reaped children's (a HAProxy or NGINX
 * worker replaced by a reload moves into its master's cutime, so a difference of two samples keeps it), and the
 * root's reaped children; the root's own time only with `countRoot` (the lbx LB is the proxy itself; a data-plane
 * role is a node process that only watches the proxy). Own time in ns where known (ticks are 10 ms). 0 when the root is gone.
 */
export function treeCpuMs(stats: readonly ProcStat[], root: number, options: { readonly countRoot: boolean; readonly ticksPerSecond: number }): number {
  const rootStat = stats.find((stat) => stat.pid === root);
  if (rootStat === undefined) return 0;
  const msPerTick = 1_000 / options.ticksPerSecond;
  const ownMs = (stat: ProcStat): number => (stat.ownNs === undefined ? stat.ownTicks * msPerTick : stat.ownNs / 1e6);
  const descendants = descendantsOf(stats, root).reduce((sum, stat) => sum + ownMs(stat) + stat.reapedChildTicks * msPerTick, 0);
  return descendants + rootStat.reapedChildTicks * msPerTick + (options.countRoot ? ownMs(rootStat) : 0);
}

/** CPU ms per 1,000 calls (attempts, retries included), to 0.1 ms; 0 without calls. */
export function cpuMsPer1000Calls(cpuMs: number, calls: number): number {
  if (calls <= 0) return 0;
  return Math.round((cpuMs / calls) * 1_000 * 10) / 10;
}
