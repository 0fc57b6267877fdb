// The LB's side of the pick streams: what a streamed pick's reply carries. lbx's client reads only the address from
// each pick (a task's answer names its backend), so a stream sends the policy's name with its first pick and again
// when the policy changes, and no backend id.
import { EventEmitter } from 'node:events';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ServerDuplexStream } from '@grpc/grpc-js';

import { serveGetServerBatchStream } from '../../src/runtime/lb/get-server-stream.js';
import type { Decision } from '../../src/runtime/lb/pick-answerer.js';
import type { PickableBackend } from '../../src/core/policies/policy.js';
import type { GetServerBatch, GetServerReplyBatch, GetServerRequest } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';

/** grpc-js's server duplex call, as far as the stream handler uses it: replies are recorded. */
class FakeCall extends EventEmitter {
  readonly written: GetServerReplyBatch[] = [];
  readonly writableLength = 0;
  write(batch: GetServerReplyBatch): boolean {
    this.written.push(batch);
    return true;
  }
  getPeer(): string {
    return 'ipv4:127.0.0.1:5000';
  }
  isPaused(): boolean {
    return false;
  }
  pause(): void {}
  resume(): void {}
  end(): void {}
}

const backend = { load: { callStarted: () => undefined, callEnded: () => undefined } } as unknown as PickableBackend;
const request = (requestId: number): GetServerRequest => ({ clientId: '', taskType: 0, key: '', exclude: [], requestId, done: [] });

const test = suite('GetServerBatchStream replies');

test('a streamed pick carries its address; the policy goes with the first pick and when it changes; no backend id', () => {
  const call = new FakeCall();
  let policy = 'round_robin';
  let turn = 0;
  const decide = (): Decision => {
    turn += 1;
    return { ok: true, server: { address: `127.0.0.1:${21000 + turn}`, backendId: `backend-${turn}`, policy }, backend };
  };
  serveGetServerBatchStream(call as unknown as ServerDuplexStream<GetServerBatch, GetServerReplyBatch>, {
    decide,
    outcomes: { recordOutcome: () => undefined },
    nowMs: () => 0,
  });
  call.emit('data', { requests: [request(1), request(2)] } satisfies GetServerBatch);
  policy = 'least_request';
  call.emit('data', { requests: [request(3), request(4)] } satisfies GetServerBatch);
  const servers = call.written.flatMap((batch) => batch.replies.map((reply) => reply.server));
  assert.equal(
    servers.map((server) => [server?.address, server?.backendId, server?.policy]),
    [
      ['127.0.0.1:21001', '', 'round_robin'],
      ['127.0.0.1:21002', '', ''],
      ['127.0.0.1:21003', '', 'least_request'],
      ['127.0.0.1:21004', '', ''],
    ],
  );
});

test.run();
