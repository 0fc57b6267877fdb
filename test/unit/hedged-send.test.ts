// Hedging's orchestration: when the next attempt starts, which answer counts, and that every attempt has ended
// (recorded) before the task's end is returned.
import { setTimeout as sleep } from 'node:timers/promises';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { runHedged, type HedgeGate, type HedgedOutcome } from '../../src/runtime/client/hedged-send.js';

const hedging = suite('hedged send');

/** An attempt that answers (or fails) after `ms`, or ends CANCELLED-like when the gate's signal fires first. */
const attemptAfter =
  (ms: number, outcome: HedgedOutcome, log: string[], name: string) =>
  async (gate: HedgeGate): Promise<HedgedOutcome> => {
    const cancelled = await sleep(ms, false, { signal: gate.signal }).catch(() => true);
    if (cancelled) {
      log.push(`${name} cancelled`);
      return { kind: 'final', reason: 'cancelled' };
    }
    if (outcome.kind === 'ok') log.push(gate.commit() ? `${name} counted` : `${name} late`);
    else log.push(`${name} ${outcome.kind}`);
    return outcome;
  };

const options = (maxAttempts: number, onHedge = (): void => undefined) => ({ delayMs: 30, maxAttempts, isStopping: () => false, onHedge });

hedging('a slow first attempt is hedged after the delay; the fast hedge counts and the first is cancelled before the end returns', async () => {
  const log: string[] = [];
  const attempts = [attemptAfter(500, { kind: 'ok' }, log, 'first'), attemptAfter(10, { kind: 'ok' }, log, 'second')];
  let hedges = 0;
  const started = performance.now();
  const end = await runHedged(
    (gate) => attempts.shift()!(gate),
    options(3, () => (hedges += 1)),
  );
  assert.equal(end, { kind: 'ok' });
  assert.is(hedges, 1);
  assert.equal(log, ['second counted', 'first cancelled']);
  assert.ok(performance.now() - started < 400, 'the slow attempt was not waited for');
});

hedging('a retryable failure starts the next attempt at once; when all fail the last reason is the task’s', async () => {
  const log: string[] = [];
  const attempts = [attemptAfter(1, { kind: 'retry', reason: 'UNAVAILABLE a' }, log, 'a'), attemptAfter(1, { kind: 'retry', reason: 'UNAVAILABLE b' }, log, 'b')];
  const started = performance.now();
  // A hedging delay far longer than the test may take (even on a loaded machine): waiting for it would show.
  const end = await runHedged((gate) => attempts.shift()!(gate), { ...options(2), delayMs: 2_000 });
  assert.equal(end, { kind: 'failed', reason: 'UNAVAILABLE b' });
  assert.ok(performance.now() - started < 1_000, 'no hedging delay after a failure');
});

hedging('a fatal failure ends the task and cancels the rest; only one answer is ever counted', async () => {
  const log: string[] = [];
  const attempts = [attemptAfter(200, { kind: 'ok' }, log, 'slow'), attemptAfter(5, { kind: 'final', reason: 'INVALID_ARGUMENT' }, log, 'bad')];
  const end = await runHedged((gate) => attempts.shift()!(gate), options(2));
  assert.equal(end, { kind: 'failed', reason: 'INVALID_ARGUMENT' });
  assert.equal(log, ['bad final', 'slow cancelled']);
});

hedging('no more attempts than maxAttempts, however slow they are', async () => {
  let launched = 0;
  const end = await runHedged(async (gate) => {
    launched += 1;
    await sleep(120, undefined, { signal: gate.signal }).catch(() => undefined);
    return gate.commit() ? { kind: 'ok' } : { kind: 'final', reason: 'lost' };
  }, options(3));
  assert.equal(end, { kind: 'ok' });
  assert.is(launched, 3);
});

hedging.run();
