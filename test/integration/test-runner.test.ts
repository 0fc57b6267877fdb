// scripts/test.mjs: a skipped suite's reason is repeated above the summary, and "N passed, N failed, N skipped" stays the last line.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const test = suite('test runner summary');

test('skips are loud: the reason sits just above the summary line, which stays last', () => {
  // scripts/test.mjs runs test/<scope>: this scope reaches the fixture suite outside test/.
  const result = spawnSync(process.execPath, [path.join(root, 'scripts/test.mjs'), '../fixtures/test-runner'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(result.status, 0, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  assert.is(lines.at(-1), '1 passed, 0 failed, 1 skipped');
  const skippedAt = lines.findIndex((line) => line.startsWith('SKIPPED: 1 test(s), because:'));
  assert.ok(skippedAt > 0 && lines.length - skippedAt <= 4, lines.slice(-6).join('\n'));
  assert.is(lines[skippedAt + 1], '  - frobnicator: skipped — no frobnicator binary on PATH (apt-get install frobnicator)');
});

test.run();
