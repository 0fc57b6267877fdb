// GetServerStream within HTTP/2 flow control: a client that never reads its replies stops being read, instead of growing
// the LB, and a stream whose unread replies pass the bound is closed with RESOURCE_EXHAUSTED. The LB's own gRPC server runs
// in this process, so the picks it made can be counted exactly; the client is raw HTTP/2 (see raw-pick-stream.ts).
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { callUnary } from '../../src/runtime/grpc/unary.js';
import type { Balancer } from '../../src/core/balancer.js';
import { LoadBalancerClient } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { eventually } from '../helpers/lbx-cli.js';
import { startInProcessLb, type InProcessLb } from '../helpers/in-process-lb.js';
import { floodPickStream, type RawPickStream } from '../helpers/raw-pick-stream.js';
import { withTimeout } from '../helpers/with-timeout.js';

const PICKS_WRITTEN = 100_000;
/** Replies that fit HTTP/2's windows and buffers before the LB stops reading: a few thousand at most. */
const MAX_PICKS_READ_UNREAD = 20_000;
const TEST_TIMEOUT_MS = 60_000;

/** Waits until the LB's pick count and the client's writes stop moving (the same for 20 polls in a row), and returns the picks. */
async function settledPicks(balancer: Balancer, stream: RawPickStream): Promise<number> {
  let last = '';
  let same = 0;
  await eventually(() => {
    const now = `${balancer.stats().picks}/${stream.written()}`;
    same = now === last ? same + 1 : 0;
    last = now;
    return same >= 20;
  }, 30_000);
  return balancer.stats().picks;
}

const test = suite('GetServerStream flow control');
let lab: InProcessLb | undefined;
let stream: RawPickStream | undefined;
test.after.each(async () => {
  stream?.close();
  await lab?.server.stop(0);
  lab = undefined;
  stream = undefined;
});

test('a client that writes 100,000 picks and reads none gets only a few thousand answered, and the LB keeps serving others', () =>
  withTimeout(
    (async () => {
      lab = await startInProcessLb({ backends: 2 });
      stream = floodPickStream(lab.server.address, PICKS_WRITTEN);
      const picks = await settledPicks(lab.balancer, stream);
      assert.ok(picks > 0, 'the stream was served at first');
      assert.ok(picks < MAX_PICKS_READ_UNREAD, `the LB stopped reading the stream at ${picks} picks of ${PICKS_WRITTEN}`);
      assert.not.ok(stream.isDone(), `HTTP/2 held the client back (${stream.written()} written)`);
      // Another client is served at once: the stalled stream holds nothing but its own window.
      const other = new LoadBalancerClient(lab.server.address, credentials.createInsecure());
      try {
        const pick = await callUnary(other.getServer.bind(other), { clientId: 'other', taskType: 1, key: '', exclude: [], requestId: 0, done: [] }, 2_000);
        assert.ok(['127.0.0.1:7001', '127.0.0.1:7002'].includes(pick.address));
      } finally {
        other.close();
      }
      // Reading again lets the rest through, in order and complete: flow control delays picks, it does not drop them.
      const reading = stream.readAll();
      await eventually(() => stream?.isDone() === true, 30_000);
      stream.end();
      const end = await withTimeout(reading, 30_000, 'the stream to end once the client reads');
      assert.equal([end.status, end.replies.length], [GrpcStatus.OK, PICKS_WRITTEN], end.message);
      assert.ok(
        end.replies.every((reply, index) => reply.requestId === index + 1 && reply.statusCode === GrpcStatus.OK),
        'every reply, in request order',
      );
      assert.is(lab.balancer.stats().picks, PICKS_WRITTEN + 1, "the stream's picks and the other client's");
    })(),
    TEST_TIMEOUT_MS,
    'the non-reading client test',
  ));

test('a stream whose unread replies pass the bound is closed with RESOURCE_EXHAUSTED, which the client reads once it reads', () =>
  withTimeout(
    (async () => {
      lab = await startInProcessLb({ backends: 2, maxPendingReplies: 8 });
      stream = floodPickStream(lab.server.address, 20_000);
      const picks = await settledPicks(lab.balancer, stream);
      const end = await withTimeout(stream.readAll(), 20_000, 'the stream to end');
      assert.equal(GrpcStatus[end.status], 'RESOURCE_EXHAUSTED', end.message);
      assert.match(end.message, /replies are waiting for this client to read them \(at most 8\)/);
      assert.ok(picks < 20_000, `no request was read after the bound was passed (${picks} picks)`);
      assert.is(lab.balancer.stats().picks, picks, 'none after the stream was closed either');
    })(),
    TEST_TIMEOUT_MS,
    'the bound test',
  ));

test.run();
