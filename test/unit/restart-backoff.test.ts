import { test } from 'uvu';
import * as assert from 'uvu/assert';

import {
  afterCrash,
  afterInfrastructureCrash,
  FIRST_BACKOFF_MS,
  INFRASTRUCTURE_MAX_BACKOFF_MS,
  INFRASTRUCTURE_QUICK_CRASH_MS,
  MAX_BACKOFF_MS,
  STABLE_AFTER_MS,
} from '../../src/core/supervision/restart-backoff.js';

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

/** The delays of `count` crashes in a row, each after a run of `ranForMs`. */
function infrastructureDelays(count: number, ranForMs: number): number[] {
  let crashes = 0;
  return Array.from({ length: count }, () => {
    const streak = afterInfrastructureCrash(crashes, ranForMs);
    crashes = streak.crashes;
    return streak.delayMs;
  });
}

test('infrastructure killed after running a second or more (chaos every second) is always restarted at once', () => {
  assert.equal(
    infrastructureDelays(20, INFRASTRUCTURE_QUICK_CRASH_MS),
    Array.from({ length: 20 }, () => 0),
  );
  assert.equal(
    infrastructureDelays(20, 1_500),
    Array.from({ length: 20 }, () => 0),
  );
});

test('infrastructure that crash-loops within a second of starting backs off, never more than 1 s', () => {
  const delays = infrastructureDelays(10, 200);
  assert.equal(delays.slice(0, 4), [0, FIRST_BACKOFF_MS, FIRST_BACKOFF_MS * 2, INFRASTRUCTURE_MAX_BACKOFF_MS]);
  assert.ok(
    delays.every((delay) => delay <= INFRASTRUCTURE_MAX_BACKOFF_MS),
    delays.join(', '),
  );
  assert.is(INFRASTRUCTURE_MAX_BACKOFF_MS, 1_000);
  // One run of a second ends the loop: the next crash restarts at once.
  assert.equal(afterInfrastructureCrash(9, INFRASTRUCTURE_QUICK_CRASH_MS), { crashes: 1, delayMs: 0 });
});

test('infrastructure killed after it became ready is restarted at once, however soon after its start', () => {
  // Chaos at every other 1 s tick after a 1 s wait: each run ends just under a second, after the LB was ready.
  let crashes = 3;
  for (let kill = 0; kill < 10; kill += 1) {
    const streak = afterInfrastructureCrash(crashes, INFRASTRUCTURE_QUICK_CRASH_MS - 10, true);
    assert.equal(streak, { crashes: 1, delayMs: 0 }, `kill ${kill}`);
    crashes = streak.crashes;
  }
  // Not ready when it crashed: the crash loop's backoff as before.
  assert.equal(afterInfrastructureCrash(1, INFRASTRUCTURE_QUICK_CRASH_MS - 10, false), { crashes: 2, delayMs: FIRST_BACKOFF_MS });
});

test.run();
