// A counts file that cannot be written (/dev/full answers every write with ENOSPC): counting goes on in memory, one warning.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { DurableServedCounts } from '../../src/runtime/backend/durable-served-counts.js';

const full = suite('served counts on a full disk');

full('a failing write warns once, names the error, and counting goes on in memory', () => {
  const warnings: string[] = [];
  const counts = DurableServedCounts.open('/dev/full', (message) => warnings.push(message));
  counts.served('SIMPLE');
  counts.served('CPU_HEAVY');
  counts.served('SIMPLE');
  assert.equal(counts.current, { simple: 2, heavy: 1 });
  assert.is(counts.isPersisted, false);
  assert.is(warnings.length, 1);
  assert.match(warnings[0]!, /\/dev\/full: served counts no longer persisted \(ENOSPC\)/);
  counts.close();
});

full.run();
