// The client's pick stream when the LB is gone: a stream that never answers is abandoned, a broken one reopened.
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { PickStream } from '../../src/runtime/client/pick-stream.js';
import type { StreamedPick } from '../../src/runtime/client/pending-picks.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import type { GetServerBatch, GetServerRequest, LoadBalancerClient } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { withTimeout } from '../helpers/with-timeout.js';

/** A stand-in for grpc-js's duplex call: records writes and cancels, answers only when told. */
class FakeStream extends EventEmitter {
  readonly written: Array<GetServerRequest & GetServerBatch> = [];
  cancelled = 0;
  write(request: GetServerRequest & GetServerBatch): boolean {
    this.written.push(request);
    return true;
  }
  cancel(): void {
    this.cancelled += 1;
  }
}

/** An LB client whose streams are FakeStreams, kept in opening order. */
function fakeLb(): { client: LoadBalancerClient; streams: FakeStream[] } {
  const streams: FakeStream[] = [];
  const client = {
    getServerStream: () => {
      const stream = new FakeStream();
      streams.push(stream);
      return stream;
    },
    getServerBatchStream: () => {
      const stream = new FakeStream();
      streams.push(stream);
      return stream;
    },
  } as unknown as LoadBalancerClient;
  return { client, streams };
}

const pickSimple = (picks: PickStream): Promise<StreamedPick> => picks.pick(TaskType.SIMPLE, '', []);

const rejectionOf = (promise: Promise<unknown>): Promise<ServiceError> =>
  promise.then(
    () => {
      throw new Error('the pick succeeded');
    },
    (error: ServiceError) => error,
  );

const test = suite('PickStream without an LB');

test('a stream that never answers (it never connected) fails its picks at the deadline and is abandoned; the next pick opens a new one', async () => {
  const { client, streams } = fakeLb();
  const picks = new PickStream(client, 20, 'single');
  try {
    const [first, second] = await withTimeout(Promise.all([rejectionOf(pickSimple(picks)), rejectionOf(pickSimple(picks))]), 2_000, 'the pick deadline');
    assert.equal([first.code, second.code], [GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.DEADLINE_EXCEEDED]);
    assert.is(streams.length, 1);
    assert.is(streams[0]?.cancelled, 1, 'the silent stream is cancelled once');

    const next = pickSimple(picks);
    assert.is(streams.length, 2, 'a new stream for the next pick');
    const written = streams[1]?.written[0];
    streams[1]?.emit('data', {
      requestId: written?.requestId,
      statusCode: GrpcStatus.OK,
      statusMessage: '',
      server: { address: '127.0.0.1:21001', backendId: 'b', policy: 'round_robin' },
    });
    assert.is((await next).address, '127.0.0.1:21001');
    assert.ok((written?.requestId ?? 0) > 2, 'request ids are never reused across streams');
  } finally {
    picks.close();
  }
});

test('a stream that breaks fails what waits on it; the next pick reopens; a late reply on the old stream is ignored', async () => {
  const { client, streams } = fakeLb();
  const picks = new PickStream(client, 5_000, 'single');
  try {
    const waiting = rejectionOf(pickSimple(picks));
    const old = streams[0];
    old?.emit('error', Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: GrpcStatus.UNAVAILABLE, details: 'Connection dropped' }));
    const error = await withTimeout(waiting, 1_000, 'the failed pick');
    assert.equal([error.code, error.details], [GrpcStatus.UNAVAILABLE, 'Connection dropped']);

    const next = pickSimple(picks);
    assert.is(streams.length, 2);
    old?.emit('data', { requestId: streams[1]?.written[0]?.requestId, statusCode: GrpcStatus.OK, statusMessage: '', server: { address: 'stale:1', backendId: 'x', policy: 'p' } });
    streams[1]?.emit('data', {
      requestId: streams[1]?.written[0]?.requestId,
      statusCode: GrpcStatus.OK,
      statusMessage: '',
      server: { address: '127.0.0.1:21002', backendId: 'b', policy: 'p' },
    });
    assert.is((await next).address, '127.0.0.1:21002');
  } finally {
    picks.close();
  }
});

test("the deadline is each pick's own: one answered in time is kept, a later one unanswered fails at its deadline", async () => {
  const { client, streams } = fakeLb();
  const picks = new PickStream(client, 80, 'single');
  try {
    const answered = pickSimple(picks);
    await sleep(40);
    const startedAt = performance.now();
    const unanswered = rejectionOf(pickSimple(picks));
    streams[0]?.emit('data', { requestId: 1, server: { address: 'a', backendId: 'a', policy: 'rr' }, statusCode: 0, statusMessage: '' });
    assert.is((await answered).address, 'a');
    const error = await withTimeout(unanswered, 2_000, 'the second deadline');
    assert.is(error.code, GrpcStatus.DEADLINE_EXCEEDED);
    assert.ok(performance.now() - startedAt >= 79, `failed ${(performance.now() - startedAt).toFixed(1)} ms after it was made, before its own deadline`);
    assert.is(streams.length, 1);
  } finally {
    picks.close();
  }
});

test('no timer is left once every pick is answered (it would keep a finished process alive)', async () => {
  const { client, streams } = fakeLb();
  const picks = new PickStream(client, 60_000, 'single');
  const timersBefore = process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
  const answered = pickSimple(picks);
  streams[0]?.emit('data', { requestId: 1, server: { address: 'a', backendId: 'a', policy: 'rr' }, statusCode: 0, statusMessage: '' });
  await answered;
  assert.is(process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length, timersBefore);
  picks.close();
});

test('after close() a pick fails at once and opens nothing', async () => {
  const { client, streams } = fakeLb();
  const picks = new PickStream(client, 5_000, 'single');
  picks.close();
  const error = await rejectionOf(pickSimple(picks));
  assert.is(error.code, GrpcStatus.CANCELLED);
  assert.is(streams.length, 0);
});

test('batch framing: the picks of one turn go as one message, and one reply batch settles each pick by its request_id', async () => {
  const { client, streams } = fakeLb();
  const picks = new PickStream(client, 5_000);
  try {
    const pending = [pickSimple(picks), pickSimple(picks), pickSimple(picks)];
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(streams.length, 1);
    const batches = streams[0]?.written ?? [];
    assert.is(batches.length, 1, 'one message for the three picks');
    const ids = batches[0]?.requests.map((sent) => sent.requestId) ?? [];
    assert.equal(ids, [1, 2, 3]);
    const server = (address: string) => ({ address, backendId: address, policy: 'rr' });
    // Out of order, and one failed in-band: each pick gets its own reply.
    streams[0]?.emit('data', {
      replies: [
        { requestId: 3, server: server('c'), statusCode: 0, statusMessage: '' },
        { requestId: 1, server: server('a'), statusCode: 0, statusMessage: '' },
        { requestId: 2, server: undefined, statusCode: GrpcStatus.UNAVAILABLE, statusMessage: 'no backends' },
      ],
    });
    const settled = await withTimeout(Promise.allSettled(pending), 2_000, 'the replies');
    const outcome = (index: number): string | number => {
      const result = settled[index];
      if (result === undefined) return 'missing';
      return result.status === 'fulfilled' ? result.value.address : (result.reason as ServiceError).code;
    };
    assert.equal([outcome(0), outcome(1), outcome(2)], ['a', GrpcStatus.UNAVAILABLE, 'c']);
  } finally {
    picks.close();
  }
});

test.run();
