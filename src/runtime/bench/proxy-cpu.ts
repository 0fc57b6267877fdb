// The CPU time a proxy-mode cluster's proxy spends, read from /proc: the LB process for lbx, HAProxy's or NGINX's master and workers for a stock data plane.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

import { descendantsOf, parseProcStat, treeCpuMs, type ProcStat } from '../../core/stats/proc-stat.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';

/** proc(5)'s clock tick when `getconf CLK_TCK` cannot say (it is 100 on Linux everywhere lbx runs). */
const DEFAULT_CLOCK_TICKS_PER_SECOND = 100;

let clockTicksPerSecond: number | undefined;

/** CLK_TCK, asked of getconf once. */
export function readClockTicksPerSecond(): number {
  if (clockTicksPerSecond !== undefined) return clockTicksPerSecond;
  try {
    const answer = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    clockTicksPerSecond = Number.isInteger(answer) && answer > 0 ? answer : DEFAULT_CLOCK_TICKS_PER_SECOND;
  } catch {
    clockTicksPerSecond = DEFAULT_CLOCK_TICKS_PER_SECOND;
  }
  return clockTicksPerSecond;
}

/** Whose CPU a cluster's proxy is: the process at its root, and whether the root's own time counts. */
export interface ProxyProcessRoot {
  readonly pid: number;
  /** True for lbx's LB (it forwards); false for the data-plane role, a node process that only runs HAProxy or NGINX under it. */
  readonly countRoot: boolean;
}

/** The proxy's root process in a proxy-mode cluster, from its components (the status's or the file's); undefined in look-aside mode or without a pid. */
export function proxyProcessRoot(
  spec: Pick<ClusterSpec, 'mode' | 'dataPlane'>,
  components: ReadonlyArray<{ readonly role: string; readonly state: string; readonly pid?: number }>,
): ProxyProcessRoot | undefined {
  if (spec.mode !== 'proxy') return undefined;
  const role = spec.dataPlane === undefined ? 'lb' : 'dataplane';
  const pid = components.find((component) => component.role === role && component.state === 'ready')?.pid;
  return pid === undefined || pid <= 0 ? undefined : { pid, countRoot: role === 'lb' };
}

/** CPU ms the tree under `root` has spent so far (0 where /proc cannot be read): two samples around an arm give its cost. */
export function sampleProxyCpuMs(root: ProxyProcessRoot): number {
  const stats = readAllProcStats();
  const inTree = new Set([root.pid, ...descendantsOf(stats, root.pid).map((stat) => stat.pid)]);
  const precise = stats.map((stat) => (inTree.has(stat.pid) ? withThreadNs(stat) : stat));
  return treeCpuMs(precise, root.pid, { countRoot: root.countRoot, ticksPerSecond: readClockTicksPerSecond() });
}

/** One process's own user + system time in ms (utime + stime, not its children's); the benchmarks sample it around an arm. */
export function processCpuMs(pid: number): number {
  const stat = parseProcStat(readText(`/proc/${pid}/stat`) ?? '');
  if (stat === undefined) throw new Error(`/proc/${pid}/stat cannot be read or does not parse (is process ${pid} gone?)`);
  return (stat.ownTicks * 1_000) / readClockTicksPerSecond();
}

function readAllProcStats(): ProcStat[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return entries.flatMap((pid) => {
    const stat = readText(`/proc/${pid}/stat`);
    const parsed = stat === undefined ? undefined : parseProcStat(stat);
    return parsed === undefined ? [] : [parsed];
  });
}

/** The process's own time in ns, summed over its live threads' schedstat; the stat as it was when a thread cannot be read. */
function withThreadNs(stat: ProcStat): ProcStat {
  let threads: string[];
  try {
    threads = readdirSync(`/proc/${stat.pid}/task`);
  } catch {
    return stat;
  }
  let ns = 0;
  for (const tid of threads) {
    const runNs = Number(readText(`/proc/${stat.pid}/task/${tid}/schedstat`)?.split(' ')[0]);
    if (!Number.isFinite(runNs)) return stat;
    ns += runNs;
  }
  return { ...stat, ownNs: ns };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
