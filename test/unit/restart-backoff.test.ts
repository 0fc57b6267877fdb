import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { afterCrash, FIRST_BACKOFF_MS, MAX_BACKOFF_MS, STABLE_AFTER_MS } from '../../src/core/supervision/restart-backoff.js';

test('the first crash restarts at once', () => {
  assert.equal(afterCrash(0, 5), { crashes: 1, delayMs: 0 });
});

test('quick crashes in a row double the wait up to the ceiling', () => {
  let crashes = 0;
  const delays: number[] = [];
  for (let index = 0; index < 8; index += 1) {
    const streak = afterCrash(crashes, 100);
    crashes = streak.crashes;
    delays.push(streak.delayMs);
  }
  assert.equal(delays, [0, FIRST_BACKOFF_MS, FIRST_BACKOFF_MS * 2, FIRST_BACKOFF_MS * 4, FIRST_BACKOFF_MS * 8, FIRST_BACKOFF_MS * 16, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
});

test('a long run before the crash resets the streak', () => {
  assert.equal(afterCrash(6, STABLE_AFTER_MS), { crashes: 1, delayMs: 0 });
  assert.equal(afterCrash(6, STABLE_AFTER_MS - 1).crashes, 7);
});

test.run();
