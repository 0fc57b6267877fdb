// lbx logs: time stamp parsing, component order and filters, merging by time, aligned prefixes (golden), tails and following of real files.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { listLogComponents, readLastLines } from '../../src/runtime/logs/log-files.js';
import { followLogs } from '../../src/runtime/logs/log-follower.js';
import { compareComponents, formatLogLine, matchesComponent, mergeLogLines, parseLogLine, prefixWidth, type LogLine } from '../../src/runtime/logs/log-multiplex.js';
import { withTimeout } from '../helpers/with-timeout.js';

const multiplex = suite('log multiplexing');

multiplex('a leading ISO time stamp is parsed; anything else has none', () => {
  assert.equal(parseLogLine('lb', '2026-01-02T03:04:05.678Z ready').atUnixMs, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  assert.equal(parseLogLine('lb', '2026-01-02T03:04:05+01:00 ready').atUnixMs, Date.UTC(2026, 0, 2, 2, 4, 5));
  assert.equal(parseLogLine('lb', 'ready at 2026-01-02T03:04:05Z').atUnixMs, undefined);
  assert.equal(parseLogLine('lb', '2026-13-45T99:04:05Z nonsense').atUnixMs, undefined);
  assert.equal(parseLogLine('lb', '').atUnixMs, undefined);
});

multiplex('components in display order: supervisor, registry, lb, backends by port, others by name', () => {
  const names = ['backend-10000', 'zeta', 'lb', 'backend-7002', 'registry', 'alpha', 'supervisor', 'backend-7001'];
  assert.equal([...names].sort(compareComponents), ['supervisor', 'registry', 'lb', 'backend-7001', 'backend-7002', 'backend-10000', 'alpha', 'zeta']);
});

multiplex('filters: none, an exact name, or "backend" for every backend', () => {
  const names = ['supervisor', 'registry', 'lb', 'backend-7001', 'backend-7002', 'backends'];
  assert.equal(
    names.filter((name) => matchesComponent(name, undefined)),
    names,
  );
  assert.equal(
    names.filter((name) => matchesComponent(name, 'backend')),
    ['backend-7001', 'backend-7002'],
  );
  assert.equal(
    names.filter((name) => matchesComponent(name, 'backend-7002')),
    ['backend-7002'],
  );
  assert.equal(
    names.filter((name) => matchesComponent(name, 'lb')),
    ['lb'],
  );
  assert.equal(
    names.filter((name) => matchesComponent(name, 'backend-70')),
    [],
  );
});

const at = (component: string, second: number, text: string): LogLine => parseLogLine(component, `2026-01-02T03:04:0${second}.000Z ${text}`);

multiplex('time-stamped lines interleave by time; equal times keep component order, then file order', () => {
  const merged = mergeLogLines([
    [at('supervisor', 1, 's1'), at('supervisor', 3, 's3')],
    [at('lb', 2, 'l2'), at('lb', 3, 'l3a'), at('lb', 3, 'l3b')],
    [at('backend-7001', 0, 'b0'), at('backend-7001', 3, 'b3')],
  ]);
  assert.equal(
    merged.map((line) => line.text.slice(25)),
    ['b0', 's1', 'l2', 's3', 'l3a', 'l3b', 'b3'],
  );
});

multiplex('a line without a time stamp stays after the line before it in its file (or before the first stamped one)', () => {
  const merged = mergeLogLines([
    [at('supervisor', 2, 's2'), at('supervisor', 4, 's4')],
    [parseLogLine('registry', 'warning first'), at('registry', 3, 'r3'), parseLogLine('registry', '  at trace'), at('registry', 5, 'r5')],
  ]);
  assert.equal(
    merged.map((line) => line.text.replace(/^\S+Z /, '')),
    ['s2', 'warning first', 'r3', '  at trace', 's4', 'r5'],
  );
});

multiplex('a whole file without time stamps: component after component, in file order', () => {
  const merged = mergeLogLines([[at('supervisor', 3, 's3')], [parseLogLine('registry', 'no time here'), parseLogLine('registry', 'nor here')], [at('lb', 1, 'l1')]]);
  assert.equal(
    merged.map((line) => line.component),
    ['supervisor', 'registry', 'registry', 'lb'],
  );
  assert.equal(mergeLogLines([[at('lb', 1, 'l1')], []]).length, 1);
});

multiplex('golden: prefixes padded to the longest shown name, then a bar', () => {
  const lines = [parseLogLine('lb', 'a'), parseLogLine('backend-7001', 'b'), parseLogLine('supervisor', 'c'), parseLogLine('lb', '')];
  const width = prefixWidth(['supervisor', 'lb', 'backend-7001']);
  assert.equal(width, 12);
  assert.equal(lines.map((line) => formatLogLine(line, width)).join('\n'), ['lb           | a', 'backend-7001 | b', 'supervisor   | c', 'lb           | '].join('\n'));
  assert.equal(prefixWidth([]), 0);
});

multiplex.run();

const files = suite('log files: listing, tails and following');
let dir = '';

files.before.each(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lbx-log-test-'));
});
files.after.each(() => {
  rmSync(dir, { recursive: true, force: true });
});

files('a UTF-8 character split between two read chunks comes out whole', async () => {
  const file = path.join(dir, 'lb.log');
  // 40,000 two-byte characters: the 64 KiB chunk boundary, counted from the end, falls inside one of them.
  const wide = 'é'.repeat(40_000);
  writeFileSync(file, `x\n${wide}\n`);
  assert.equal((await readLastLines(file, 1)).lines, [wide]);
});

files('listing: components with a .log file, in display order; undefined for a missing directory', async () => {
  for (const name of ['backend-7002.log', 'lb.log', 'notes.txt', 'supervisor.log', 'backend-7001.log', '.log']) writeFileSync(path.join(dir, name), '');
  assert.equal(await listLogComponents(dir), ['supervisor', 'lb', 'backend-7001', 'backend-7002']);
  assert.equal(await listLogComponents(path.join(dir, 'gone')), undefined);
});

files('the last N complete lines, across read chunks; a partial last line is reported apart', async () => {
  const file = path.join(dir, 'lb.log');
  const many = Array.from({ length: 5_000 }, (_, index) => `line ${index} ${'x'.repeat(40)}`);
  writeFileSync(file, `${many.join('\n')}\npart`);
  const tail = await readLastLines(file, 3);
  assert.equal(tail.lines, many.slice(-3));
  assert.equal(tail.partial, 'part');
  assert.equal(tail.endOffset, Buffer.byteLength(`${many.join('\n')}\n`));
  assert.equal((await readLastLines(file, 4_000)).lines, many.slice(-4_000));
  assert.equal((await readLastLines(file, 0)).lines, []);
  writeFileSync(file, 'a\nb\n');
  assert.equal(await readLastLines(file, 20), { lines: ['a', 'b'], partial: '', endOffset: 4 });
  writeFileSync(file, '');
  assert.equal(await readLastLines(file, 20), { lines: [], partial: '', endOffset: 0 });
});

files('following: appended lines, a line completed later, a file that appears later; stops on abort', async () => {
  writeFileSync(path.join(dir, 'lb.log'), 'old\n');
  writeFileSync(path.join(dir, 'supervisor.log'), '');
  const seen: string[] = [];
  const appeared: string[] = [];
  const stop = new AbortController();
  const following = followLogs({
    logsDir: dir,
    select: (component) => component !== 'supervisor',
    offsets: new Map([
      ['lb', 4],
      ['supervisor', 0],
    ]),
    pollMs: 10,
    signal: stop.signal,
    onLines: (lines) => seen.push(...lines.map((line) => `${line.component}:${line.text}`)),
    onComponent: (component) => appeared.push(component),
  });
  const waitFor = async (count: number): Promise<void> => {
    await withTimeout(
      (async () => {
        while (seen.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      3_000,
      `${count} followed lines (saw ${seen.join(', ')})`,
    );
  };
  appendFileSync(path.join(dir, 'lb.log'), 'new 1\nhalf');
  appendFileSync(path.join(dir, 'supervisor.log'), 'not selected\n');
  await waitFor(1);
  appendFileSync(path.join(dir, 'lb.log'), ' done\n');
  await waitFor(2);
  mkdirSync(path.join(dir, 'sub'));
  writeFileSync(path.join(dir, 'backend-7003.log'), 'hello from a new backend\n');
  await waitFor(3);
  stop.abort();
  assert.equal(await withTimeout(following, 2_000, 'follow to stop'), 'stopped');
  assert.equal(seen, ['lb:new 1', 'lb:half done', 'backend-7003:hello from a new backend']);
  assert.equal(appeared, ['backend-7003']);
});

files('following ends by itself when the log directory goes away', async () => {
  writeFileSync(path.join(dir, 'lb.log'), '');
  const following = followLogs({ logsDir: dir, select: () => true, offsets: new Map([['lb', 0]]), pollMs: 10, signal: new AbortController().signal, onLines: () => undefined });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(await withTimeout(following, 2_000, 'follow to notice the directory is gone'), 'gone');
});

files.run();
