// A backend's start-up registration retries: the pause schedule, the deadline, one warning, and answers no retry can change.
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { LbxError } from '../../src/core/lbx-error.js';
import { REGISTER_MAX_PAUSE_MS, registerPauseMs, retryRegistration, tryTimeoutMs, type RetryOptions } from '../../src/runtime/backend/retry-registration.js';
import { fakeClock } from '../helpers/fake-clock.js';

const grpcError = (code: GrpcStatus, details: string): Error => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });

/** Options on a fake clock that sleeping advances; every warning kept. */
function fakeOptions(deadlineMs: number): { options: RetryOptions; warnings: string[]; pauses: number[] } {
  const clock = fakeClock();
  const warnings: string[] = [];
  const pauses: number[] = [];
  const options: RetryOptions = {
    deadlineMs,
    nowMs: clock.nowMs,
    sleep: async (ms) => {
      pauses.push(ms);
      clock.advance(ms);
    },
    random: () => 1,
    onFirstFailure: (message) => warnings.push(message),
  };
  return { options, warnings, pauses };
}

test('pauses double from 100 ms to 2 s, drawn from the upper half of each range', () => {
  assert.equal(
    [1, 2, 3, 4, 5, 6, 7].map((retry) => registerPauseMs(retry, () => 1)),
    [100, 200, 400, 800, 1_600, 2_000, 2_000],
  );
  assert.equal(
    [1, 2, 6].map((retry) => registerPauseMs(retry, () => 0)),
    [50, 100, 1_000],
  );
  assert.is(REGISTER_MAX_PAUSE_MS, 2_000);
});

test('each try of a call gets longer to answer: 2 s, 4 s, then 8 s', () => {
  assert.equal(
    [1, 2, 3, 4, 10].map((tries) => tryTimeoutMs(2_000, tries)),
    [2_000, 4_000, 8_000, 8_000, 8_000],
  );
});

test('failures are tried again until one succeeds, with one warning for them all', async () => {
  const { options, warnings, pauses } = fakeOptions(60_000);
  let calls = 0;
  const value = await retryRegistration(
    'registering with the LB at 127.0.0.1:7100',
    async (tries) => {
      calls += 1;
      assert.is(tries, calls, 'told which try it is');
      if (calls < 5) throw grpcError(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded after 2.001s');
      return 'registered';
    },
    options,
  );
  assert.is(value, 'registered');
  assert.is(calls, 5);
  assert.equal(pauses, [100, 200, 400, 800]);
  assert.equal(warnings, ['registering with the LB at 127.0.0.1:7100 failed (4 Deadline exceeded after 2.001s); trying again with backoff until the start-up deadline']);
});

test('past the deadline it gives up with a timeout naming what, how many tries, how long and the last error; the last pause ends at the deadline', async () => {
  const { options, pauses } = fakeOptions(1_000);
  let calls = 0;
  try {
    await retryRegistration(
      'registering in the registry at 127.0.0.1:7102',
      async () => {
        calls += 1;
        throw new Error(`connect ECONNREFUSED 127.0.0.1:7102 (try ${calls})`);
      },
      options,
    );
    assert.unreachable('it gave up');
  } catch (error) {
    assert.instance(error, LbxError);
    assert.is((error as LbxError).code, 'timeout');
    assert.is(
      (error as LbxError).message,
      `registering in the registry at 127.0.0.1:7102 failed ${calls} times in 1000 ms, until the start-up deadline (last error: connect ECONNREFUSED 127.0.0.1:7102 (try ${calls}))`,
    );
  }
  assert.equal(pauses, [100, 200, 400, 300]);
});

test('an answer no retry can change (a refused token, an invalid request) ends the tries at once', async () => {
  for (const code of [GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.UNIMPLEMENTED]) {
    const { options, pauses } = fakeOptions(60_000);
    let calls = 0;
    const refusal = grpcError(code, 'refused');
    try {
      await retryRegistration(
        'registering with the LB',
        async () => {
          calls += 1;
          throw refusal;
        },
        options,
      );
      assert.unreachable('it gave up');
    } catch (error) {
      assert.is(error, refusal);
    }
    assert.equal([calls, pauses.length], [1, 0], `code ${code}`);
  }
});

test.run();
