// /proc/<pid>/stat parsing and a proxy tree's CPU: comm with spaces and parentheses, descendants by ppid, a reloaded worker's time kept through its master's cutime.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { cpuMsPer1000Calls, descendantsOf, parseProcStat, treeCpuMs, type ProcStat } from '../../src/core/stats/proc-stat.js';

const TICKS_PER_SECOND = 100;

/** A stat line as the kernel writes it: pid (comm) state ppid, then fields up to cstime. */
const line = (pid: number, comm: string, ppid: number, utime: number, stime: number, cutime = 0, cstime = 0): string =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 ${utime} ${stime} ${cutime} ${cstime} 20 0 1 0 123 4096 10 18446744073709551615`;

const stat = (pid: number, ppid: number, ownTicks: number, reapedChildTicks = 0, ownNs?: number): ProcStat => ({
  pid,
  ppid,
  ownTicks,
  reapedChildTicks,
  ...(ownNs === undefined ? {} : { ownNs }),
});

const test = suite('proc-stat');

test('a stat line: times after the last parenthesis, whatever comm holds', () => {
  assert.equal(parseProcStat(line(4242, 'haproxy', 4000, 7, 3, 20, 5)), { pid: 4242, ppid: 4000, ownTicks: 10, reapedChildTicks: 25 });
  assert.equal(parseProcStat(line(17, 'nginx: worker (x) y', 16, 1, 2)), { pid: 17, ppid: 16, ownTicks: 3, reapedChildTicks: 0 });
  assert.is(parseProcStat('garbage'), undefined);
  assert.is(parseProcStat('12 (short) S 1'), undefined);
});

test('descendants follow ppid down any depth and leave out strangers and the root', () => {
  const stats = [stat(1, 0, 0), stat(10, 1, 0), stat(11, 10, 0), stat(12, 11, 0), stat(13, 11, 0), stat(20, 1, 0)];
  assert.equal(
    descendantsOf(stats, 10).map((entry) => entry.pid),
    [11, 12, 13],
  );
  assert.equal(descendantsOf(stats, 99), []);
});

test('tree CPU: the role (root) counts only its reaped children; the LB (root) counts itself', () => {
  // role 10 (node) → master 11 → workers 12, 13; 20 is another process.
  const stats = [stat(10, 1, 500, 4), stat(11, 10, 2, 30), stat(12, 11, 40), stat(13, 11, 8), stat(20, 1, 900)];
  assert.is(treeCpuMs(stats, 10, { countRoot: false, ticksPerSecond: TICKS_PER_SECOND }), (4 + 2 + 30 + 40 + 8) * 10);
  assert.is(treeCpuMs([stat(30, 1, 77)], 30, { countRoot: true, ticksPerSecond: TICKS_PER_SECOND }), 770);
  assert.is(treeCpuMs(stats, 99, { countRoot: true, ticksPerSecond: TICKS_PER_SECOND }), 0, 'a root that is gone spent nothing');
});

test('own time in ns wins over ticks (10 ms each) where it is known', () => {
  const stats = [stat(10, 1, 0), stat(11, 10, 1, 0, 13_500_000)];
  assert.is(treeCpuMs(stats, 10, { countRoot: false, ticksPerSecond: TICKS_PER_SECOND }), 13.5);
});

test("a worker replaced by a reload: its time moves into the master's cutime, so the difference of two samples keeps it", () => {
  const before = [stat(10, 1, 0), stat(11, 10, 5, 0), stat(12, 11, 100)];
  // Worker 12 ran 20 more ticks, exited and was reaped (120 into 11's cutime); new worker 14 ran 7.
  const after = [stat(10, 1, 0), stat(11, 10, 6, 120), stat(14, 11, 7)];
  const options = { countRoot: false, ticksPerSecond: TICKS_PER_SECOND };
  assert.is(treeCpuMs(after, 10, options) - treeCpuMs(before, 10, options), (1 + 20 + 7) * 10);
});

test('per 1,000 calls, to 0.1 ms; nothing without calls', () => {
  assert.is(cpuMsPer1000Calls(37, 1_000), 37);
  assert.is(cpuMsPer1000Calls(11.1, 300), 37);
  assert.is(cpuMsPer1000Calls(1, 3), 333.3);
  assert.is(cpuMsPer1000Calls(50, 0), 0);
});

test.run();
