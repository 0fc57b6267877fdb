#!/usr/bin/env node
// Runs the uvu suites and ends with the plain line CI reads: "N passed, N failed, N skipped", after the reason for every skip.
// uvu's own summary ("Total: … Passed: …") is parsed from its output, which is passed through as it comes; suites that skip
// say why on a line with "skipped:" or "SKIPPED —" (e.g. "etcd: skipped — no etcd binary on PATH"), repeated at the end.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
// Usage: node scripts/test.mjs [unit|integration] [file-pattern]
const [scope = '', pattern = '\\.test\\.ts$'] = process.argv.slice(2);
const dir = scope ? path.join('test', scope) : 'test';

const child = spawn(
  process.execPath,
  ['--import', 'tsx', path.join(root, 'node_modules/uvu/bin.js'), dir, pattern, '-i', 'helpers', '-i', 'fixtures'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
);

let output = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  output += chunk.toString();
});

/** The lines where a suite said it skipped something and why; uvu's own "Skipped: N" count is not one. */
function skipReasons(text) {
  const lines = text.split('\n').map((line) => line.trim());
  return [...new Set(lines.filter((line) => /\bskipped\s*[:—–-]\s*\S/i.test(line) && !/^Skipped:\s+\d+$/.test(line)))];
}

child.on('close', (code, signal) => {
  const count = (label) => Number(/\s(\d+)\s*$/.exec(output.match(new RegExp(`${label}:\\s+\\d+`, 'g'))?.at(-1) ?? '')?.[1] ?? 0);
  const total = count('Total');
  const passed = count('Passed');
  const skipped = count('Skipped');
  // uvu's Total counts the tests that ran; skipped ones (test.skip) are outside it.
  const failed = Math.max(0, total - passed) || (code !== 0 && total === passed ? 1 : 0);
  if (total === 0) console.error('no test ran');
  const reasons = skipReasons(output);
  if (reasons.length > 0 || skipped > 0) {
    // Loud, just above the summary line: a skipped suite is a gap in what this run proves.
    console.log(`\nSKIPPED: ${skipped} test(s)${reasons.length > 0 ? ', because:' : ' (no reason given)'}`);
    for (const reason of reasons) console.log(`  - ${reason}`);
    console.log('  (npm run setup installs etcd, chromium and the other tools the tests need; see the README)');
  }
  if (signal) console.error(`test runner ended by ${signal}`);
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(code !== 0 || failed > 0 || total === 0 || signal ? 1 : 0);
});
