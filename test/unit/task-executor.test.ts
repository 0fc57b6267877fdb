// The backend's one-core executor: FIFO heavy work, counters, and tasks whose caller gave up.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { SHARED_THREAD_SLICE_UNITS } from '../../src/runtime/backend/backend-host.js';
import { TaskExecutor, WORK_SLICE_UNITS } from '../../src/runtime/backend/task-executor.js';

const never = (): boolean => false;
const test = suite('TaskExecutor');

test('SIMPLE is served at once and counted', async () => {
  const executor = new TaskExecutor();
  const outcome = await executor.run('SIMPLE', 0, never);
  assert.equal(outcome.kind, 'done');
  assert.equal(executor.counters.servedSimple, 1);
  assert.equal(executor.counters.inFlight, 0);
});

test('heavy tasks queue behind each other and are counted when done', async () => {
  const executor = new TaskExecutor();
  const runs = [executor.run('CPU_HEAVY', 1, never), executor.run('CPU_HEAVY', 1, never), executor.run('CPU_HEAVY', 1, never)];
  assert.equal(executor.counters.inFlight, 3);
  assert.equal(executor.counters.queueDepth, 3);
  const outcomes = await Promise.all(runs);
  assert.equal(
    outcomes.map((outcome) => outcome.kind),
    ['done', 'done', 'done'],
  );
  assert.equal(executor.counters.servedHeavy, 3);
  assert.equal(executor.counters.inFlight, 0);
  const last = outcomes[2];
  assert.ok(last?.kind === 'done' && last.queuedMicros > 0, 'the third task waited for the first two');
});

test('a task abandoned while queued is neither run nor counted; the rest are unaffected', async () => {
  const executor = new TaskExecutor();
  let gaveUp = false;
  const first = executor.run('CPU_HEAVY', 1, never);
  const abandoned = executor.run('CPU_HEAVY', 2_000, () => gaveUp);
  const third = executor.run('CPU_HEAVY', 1, never);
  gaveUp = true;
  const startedAt = performance.now();
  const outcomes = await Promise.all([first, abandoned, third]);
  assert.equal(
    outcomes.map((outcome) => outcome.kind),
    ['done', 'abandoned', 'done'],
  );
  assert.equal(executor.counters.servedHeavy, 2);
  assert.equal(executor.counters.inFlight, 0);
  // 2,000 units (about 1.1 s here) were skipped, not run.
  assert.ok(performance.now() - startedAt < 500, 'the abandoned task did no work');
});

test('a task whose caller gives up while it runs is not counted as served', async () => {
  const executor = new TaskExecutor();
  let checks = 0;
  // Not abandoned when its turn comes, abandoned by the time it finishes.
  const outcome = await executor.run('CPU_HEAVY', 1, () => ++checks > 1);
  assert.equal(outcome.kind, 'abandoned');
  assert.equal(executor.counters.servedHeavy, 0);
  assert.equal(executor.counters.inFlight, 0);
});

test('a long task yields to I/O between slices, and stops early once its caller gave up', async () => {
  const executor = new TaskExecutor();
  // Three slices: an immediate callback queued after the task starts runs before the task ends.
  let yielded = 0;
  const tick = (): void => {
    yielded += 1;
    if (yielded < 100) setImmediate(tick);
  };
  const long = executor.run('CPU_HEAVY', WORK_SLICE_UNITS * 3, never);
  setImmediate(tick);
  const outcome = await long;
  assert.equal(outcome.kind, 'done');
  assert.ok(yielded >= 2, `the event loop ran between slices (${yielded} turns)`);

  // A caller that gives up after the first slice: the rest is not run, and the task is not counted as served.
  let asked = 0;
  const givenUp = await executor.run('CPU_HEAVY', WORK_SLICE_UNITS * 50, () => (asked += 1) > 2);
  assert.equal(givenUp.kind, 'abandoned');
  assert.ok(asked <= 4, `stopped at once (${asked} checks)`);
  assert.equal(executor.counters.servedHeavy, 1);
  assert.equal(executor.counters.inFlight, 0);
});

test('backends sharing a thread: small slices let a neighbour answer within a few ms of a long CPU_HEAVY task', async () => {
  const busy = new TaskExecutor(undefined, SHARED_THREAD_SLICE_UNITS);
  const neighbour = new TaskExecutor(undefined, SHARED_THREAD_SLICE_UNITS);
  const startedAt = performance.now();
  let isBusyDone = false;
  // 300 units: 60-180 ms of work on these machines, in 150 slices.
  const long = busy.run('CPU_HEAVY', 300, never).then((outcome) => {
    isBusyDone = true;
    return outcome;
  });
  // The neighbour's answer, as an I/O callback would get it: a timer due at once.
  const answeredAfterMs = await new Promise<number>((resolve) => setTimeout(() => void neighbour.run('CPU_HEAVY', 1, never).then(() => resolve(performance.now() - startedAt)), 0));
  assert.not.ok(isBusyDone, 'the neighbour answered while the long task still ran');
  assert.ok(answeredAfterMs < 30, `the neighbour answered after ${answeredAfterMs.toFixed(1)} ms`);
  assert.equal((await long).kind, 'done');
});

test('halt (a killed backend): queued tasks end abandoned, the running one stops at its next slice, none is served', async () => {
  const executor = new TaskExecutor(undefined, 1);
  const running = executor.run('CPU_HEAVY', 2_000, never);
  const queued = executor.run('CPU_HEAVY', 10, never);
  const startedAt = performance.now();
  await new Promise((resolve) => setImmediate(resolve));
  executor.halt();
  assert.equal((await queued).kind, 'abandoned');
  assert.equal((await running).kind, 'abandoned');
  // 2,000 units (about 1.1 s here) were stopped after a slice or two.
  assert.ok(performance.now() - startedAt < 300, 'the running task stopped at once');
  assert.equal(executor.counters.servedHeavy, 0);
});

test.run();
