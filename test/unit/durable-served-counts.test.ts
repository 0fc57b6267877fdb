import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { DurableServedCounts, readServedCounts, servedCountsFile } from '../../src/runtime/backend/durable-served-counts.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lbx-served-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a missing file reads as zero', () => {
  assert.equal(readServedCounts(path.join(dir, 'none.bin')), { simple: 0, heavy: 0 });
});

test('every count is in the file at once, and a new process continues from it', () => {
  const file = servedCountsFile(dir, 'backend-7001');
  const first = DurableServedCounts.open(file);
  first.served('SIMPLE');
  first.served('SIMPLE');
  first.served('CPU_HEAVY');
  // Read while still open, as `lbx report` does for a backend that was SIGKILLed.
  assert.equal(readServedCounts(file), { simple: 2, heavy: 1 });
  first.close();
  const second = DurableServedCounts.open(file);
  assert.equal(second.current, { simple: 2, heavy: 1 });
  second.served('CPU_HEAVY');
  second.close();
  assert.equal(readServedCounts(file), { simple: 2, heavy: 2 });
  assert.is(statSync(file).size, 16);
});

test.run();
