#!/usr/bin/env node
// Runs the uvu suites and ends with the plain line CI reads: "N passed, N failed, N skipped", after the reason for every skip.
// uvu's own summary ("Total: … Passed: …") is parsed from its output, which is passed through as it comes; suites that skip
// say why on a line with "skipped:" or "SKIPPED —" (e.g. "etcd: skipped — no etcd binary on PATH"), repeated at the end.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// Usage: node scripts/test.mjs [unit|integration] [file-pattern]
const [scope = '', pattern = '\\.test\\.ts$'] = process.argv.slice(2);
const dir = scope ? path.join('test', scope) : 'test';

// Every process this run starts inherits this marker, so what outlives the run can be found (and proven ours) afterwards.
const runMarker = `LBX_TEST_RUN=${randomUUID()}`;
// A hard ceiling: a hung suite must end the run with a failure, not hold CI until its own timeout.
const ceilingMs = Number(process.env.LBX_TEST_CEILING_MS ?? 45 * 60_000);

const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), dir, pattern, '-i', 'helpers', '-i', 'fixtures'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  env: { ...process.env, NO_COLOR: '1', LBX_TEST_RUN: runMarker.split('=')[1] },
});
const ceiling = setTimeout(() => {
  console.error(`test run passed its ceiling of ${ceilingMs / 60_000} min: ending it`);
  child.kill('SIGKILL');
}, ceilingMs);

let output = '';
// uvu ends a suite's line ("name  • • •   (3 / 3)") when the suite ends: the time between line ends is the suite's, so the
// slowest can be listed at the end (where CI's minutes go). A line a test prints mid-suite ends that clock early, so a
// suite that logs shows less than it took.
const suiteTimes = [];
let lineStartedAt = performance.now();
let partialLine = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const text = chunk.toString();
  output += text;
  const lines = (partialLine + text).split('\n');
  partialLine = lines.pop() ?? '';
  for (const line of lines) {
    const suite = /^\s*(\S.*?)\s+[•✘]/.exec(line);
    if (suite) suiteTimes.push({ name: suite[1], ms: performance.now() - lineStartedAt });
    lineStartedAt = performance.now();
  }
});

/** The suites that took longest, with their share of the run. */
function slowestSuites(count) {
  const total = suiteTimes.reduce((sum, suite) => sum + suite.ms, 0);
  if (total === 0) return;
  console.log(`\nslowest suites (of ${suiteTimes.length}, ${(total / 1000).toFixed(0)} s in all):`);
  for (const suite of [...suiteTimes].sort((a, b) => b.ms - a.ms).slice(0, count)) {
    console.log(`  ${(suite.ms / 1000).toFixed(1).padStart(6)} s  ${suite.name}`);
  }
}

/** The lines where a suite said it skipped something and why; uvu's own "Skipped: N" count is not one. */
function skipReasons(text) {
  const lines = text.split('\n').map((line) => line.trim());
  return [...new Set(lines.filter((line) => /\bskipped\s*[:—–-]\s*\S/i.test(line) && !/^Skipped:\s+\d+$/.test(line)))];
}

/** Processes still alive that carry this run's marker: leaked by a test (a cluster not stopped, a child not reaped). */
function leakedProcesses() {
  const leaked = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
      if (!environ.includes(runMarker)) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').join(' ').trim();
      leaked.push({ pid: Number(entry), argv });
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return leaked;
}

/** Ends leaked processes (each proven ours by the marker) so they cannot hold ports, files or CI's output pipe. */
function endLeaked() {
  const leaked = leakedProcesses();
  for (const { pid, argv } of leaked) {
    console.log(`leaked process ${pid} (ended): ${argv.slice(0, 200)}`);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return leaked.length;
}

// 'exit', not 'close': a process a test leaked may still hold uvu's stdout open, and waiting for that pipe to close would
// wait forever. What uvu wrote before exiting is drained for a moment, then the pipe is let go.
child.on('exit', (code, signal) => {
  clearTimeout(ceiling);
  setTimeout(() => {
    child.stdout.destroy();
    const leaked = endLeaked();
    summarize(code, signal, leaked);
  }, 500);
});

function summarize(code, signal, leaked) {
  const count = (label) => Number(/\s(\d+)\s*$/.exec(output.match(new RegExp(`${label}:\\s+\\d+`, 'g'))?.at(-1) ?? '')?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  // uvu's Total counts the tests that ran; skipped ones (test.skip) are outside it.
  const failed = Math.max(0, total - passed) || (code !== 0 && total === passed ? 1 : 0);
  if (total === 0) console.error('no test ran');
  slowestSuites(15);
  const reasons = skipReasons(output);
  if (reasons.length > 0 || skipped > 0) {
    // Loud, just above the summary line: a skipped suite is a gap in what this run proves.
    console.log(`\nSKIPPED: ${skipped} test(s)${reasons.length > 0 ? ', because:' : ' (no reason given)'}`);
    for (const reason of reasons) console.log(`  - ${reason}`);
    console.log('  (npm run setup installs etcd, chromium and the other tools the tests need; see the README)');
  }
  if (signal) console.error(`test runner ended by ${signal}`);
  // A leaked process is a test that did not clean up after itself: reported loudly, and the run fails.
  if (leaked > 0) console.error(`${leaked} process(es) outlived the tests (listed above)`);
  const leakFailure = leaked > 0 ? 1 : 0;
  console.log(`${passed} passed, ${failed + leakFailure} failed, ${skipped} skipped`);
  process.exit(code !== 0 || failed > 0 || total === 0 || signal || leakFailure ? 1 : 0);
}
