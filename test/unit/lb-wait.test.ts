// Waiting out an LB that is down: the pause schedule, the run's outage clock, each request's budget, and --lb-wait parsing.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LbxError } from '../../src/core/lbx-error.js';
import { LB_WAIT_MAX_PAUSE_MS, LbOutageClock, LbWait, lbWaitPauseMs, parseLbWaitMs } from '../../src/runtime/client/lb-wait.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { scriptedRandom, seededRandom } from '../helpers/seeded-random.js';

const schedule = suite('lbWaitPauseMs');

schedule('50 ms doubling to 1 s: the top of each range at random 1, the bottom half at random 0', () => {
  const top = [1, 2, 3, 4, 5, 6, 7, 8].map((retry) => lbWaitPauseMs(retry, () => 1));
  assert.equal(top, [50, 100, 200, 400, 800, 1_000, 1_000, 1_000]);
  const bottom = [1, 2, 3, 4, 5, 6].map((retry) => lbWaitPauseMs(retry, () => 0));
  assert.equal(bottom, [25, 50, 100, 200, 400, 500]);
});

schedule('every draw stays within [ceiling / 2, ceiling], even for huge retry counts', () => {
  const random = seededRandom(7);
  for (let retry = 1; retry <= 2_000; retry += 1) {
    const ceiling = Math.min(LB_WAIT_MAX_PAUSE_MS, 50 * 2 ** Math.min(retry - 1, 20));
    const pause = lbWaitPauseMs(retry, random);
    assert.ok(pause >= ceiling / 2 && pause <= ceiling, `retry ${retry}: ${pause} outside [${ceiling / 2}, ${ceiling}]`);
  }
});

schedule('jitter spreads clients that started waiting together', () => {
  const random = seededRandom(42);
  const pauses = new Set(Array.from({ length: 16 }, () => lbWaitPauseMs(6, random)));
  assert.ok(pauses.size >= 12, `16 clients drew only ${pauses.size} distinct pauses`);
});

schedule.run();

const budget = suite('LbWait and LbOutageClock');

budget('a request pauses until its budget is spent, the last pause ending exactly at the deadline', () => {
  const clock = fakeClock(1_000);
  const outage = new LbOutageClock(1_000, clock.nowMs);
  const wait = new LbWait(outage, () => 1);
  const pauses: number[] = [];
  // Bounded: each pass advances the clock by a positive pause, and the budget is 1 s.
  for (let pause = wait.nextPauseMs(); pause !== undefined; pause = wait.nextPauseMs()) {
    pauses.push(pause);
    clock.advance(pause);
  }
  assert.equal(pauses, [50, 100, 200, 400, 250]);
  assert.is(clock.nowMs(), 2_000);
});

budget('a budget of 0 gives up at the first failure', () => {
  const clock = fakeClock();
  const wait = new LbWait(new LbOutageClock(0, clock.nowMs), () => 1);
  assert.is(wait.nextPauseMs(), undefined);
});

budget('a request that joins an outage gets only what is left of it, so a dead LB fails the run within one budget', () => {
  const clock = fakeClock();
  const outage = new LbOutageClock(1_000, clock.nowMs);
  const first = new LbWait(outage, () => 1);
  assert.is(first.nextPauseMs(), 50);
  clock.advance(900);
  const late = new LbWait(outage, () => 1);
  assert.is(late.nextPauseMs(), 50);
  clock.advance(100);
  assert.is(late.nextPauseMs(), undefined, 'the outage has lasted the budget');
  clock.advance(5_000);
  assert.is(new LbWait(outage, () => 1).nextPauseMs(), undefined, 'a request arriving later gives up at once');
  assert.ok(outage.isOngoing);
});

budget('an answer from the LB ends the outage: a request that waited in it gets the whole budget again in the next one', () => {
  const clock = fakeClock();
  const outage = new LbOutageClock(1_000, clock.nowMs);
  const early = new LbWait(outage, () => 1);
  early.nextPauseMs();
  clock.advance(600);
  outage.answered();
  assert.not.ok(outage.isOngoing);
  const fresh = new LbWait(outage, () => 1);
  assert.is(fresh.nextPauseMs(), 50, 'a new outage starts a new clock');
  clock.advance(400);
  assert.is(early.nextPauseMs(), 50, 'waiting since t=0, but the LB answered at t=600: a new outage, and its pauses start short again');
  assert.is(fresh.nextPauseMs(), 100);
  clock.advance(590);
  assert.ok((early.nextPauseMs() ?? 0) > 0, 'still within 1 s of the new outage (t=600)');
  clock.advance(20);
  assert.is(early.nextPauseMs(), undefined, 'the new outage has lasted the budget');
});

budget('an LB that is killed every second and answers in between never spends a 2 s budget, however long it goes on', () => {
  const clock = fakeClock();
  const outage = new LbOutageClock(2_000, clock.nowMs);
  const waits = Array.from({ length: 8 }, () => new LbWait(outage, seededRandom(5)));
  // 30 rounds: 900 ms down (every request waiting), then one answer; no request is ever told to give up.
  for (let round = 0; round < 30; round += 1) {
    for (let elapsedMs = 0; elapsedMs < 900; elapsedMs += 50) {
      for (const wait of waits) assert.ok(wait.nextPauseMs() !== undefined, `round ${round}: gave up ${elapsedMs} ms into a 900 ms outage`);
      clock.advance(50);
    }
    outage.answered();
  }
});

budget('reset() starts a request afresh once the LB has given it a pick', () => {
  const clock = fakeClock();
  const outage = new LbOutageClock(500, clock.nowMs);
  const wait = new LbWait(outage, scriptedRandom(1, 1, 1, 1));
  wait.nextPauseMs();
  clock.advance(400);
  outage.answered();
  wait.reset();
  clock.advance(400);
  assert.is(wait.nextPauseMs(), 50, 'the schedule starts again at 50 ms');
  clock.advance(450);
  assert.is(wait.nextPauseMs(), 50, 'and the budget counts from the new failure: 50 ms left');
});

budget.run();

const parse = suite('parseLbWaitMs');

parse('milliseconds, or a number with ms, s or m', () => {
  assert.equal(['0', '10000', '250ms', '10s', '1.5s', '2m', ' 30s '].map(parseLbWaitMs), [0, 10_000, 250, 10_000, 1_500, 120_000, 30_000]);
});

parse('anything else, or more than 10 minutes, is a usage error naming the flag and the value', () => {
  for (const text of ['', 'abc', '-1', '10h', '1e3', '10 s', '0x10', '11m', '600001']) {
    try {
      parseLbWaitMs(text);
      assert.unreachable(`"${text}" was accepted`);
    } catch (error) {
      assert.instance(error, LbxError);
      assert.is((error as LbxError).code, 'usage');
      assert.ok((error as LbxError).message.startsWith(`--lb-wait "${text}" is not valid`), (error as LbxError).message);
    }
  }
});

parse.run();
