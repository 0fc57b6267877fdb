// The LB's side of one pick socket, on a socket that fills and drains at the test's word: it stops reading while its
// replies are not taken, reads again on 'drain', and ends the connection past its bound of unflushed replies; frames
// that arrive a byte at a time decode as whole ones, and the ends a frame carries end their picks.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { status as GrpcStatus } from '@grpc/grpc-js';

import type { PickableBackend } from '../../src/core/policies/policy.js';
import type { Decision } from '../../src/runtime/lb/pick-answerer.js';
import { PickSocketSession } from '../../src/runtime/lb/pick-socket-session.js';
import { FrameCursor, FrameReader, FrameWriter, PICK_SOCKET_PREFACE, readReply, writePicksFrame, type SocketDone } from '../../src/runtime/pick-socket/pick-frames.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';

/** A net.Socket as far as the session uses it: writes are recorded; whether the socket takes more is the test's. */
class FakeSocket extends EventEmitter {
  readonly remoteAddress = '127.0.0.1';
  readonly remotePort = 5000;
  readonly written: Buffer[] = [];
  isTaking = true;
  writableLength = 0;
  isPaused = false;
  ended = false;
  setNoDelay(): void {}
  write(data: Buffer): boolean {
    this.written.push(Buffer.from(data));
    return this.isTaking;
  }
  end(data?: Buffer): void {
    if (data) this.written.push(Buffer.from(data));
    this.ended = true;
  }
  pause(): void {
    this.isPaused = true;
  }
  resume(): void {
    this.isPaused = false;
  }
  /** Frame bodies written after the preface, as [type, cursor] pairs. */
  frames(): FrameCursor[] {
    const all = Buffer.concat(this.written);
    assert.ok(all.subarray(0, PICK_SOCKET_PREFACE.length).equals(PICK_SOCKET_PREFACE), 'the session answered the preface');
    const bodies: FrameCursor[] = [];
    new FrameReader(1 << 20).push(all.subarray(PICK_SOCKET_PREFACE.length), (body) => bodies.push(new FrameCursor(Buffer.from(body))));
    return bodies;
  }
}

const load = { started: 0, ended: 0, latencies: [] as Array<number | undefined> };
const backend = {
  load: {
    callStarted: () => (load.started += 1),
    callEnded: (latencyMs: number | undefined) => {
      load.ended += 1;
      load.latencies.push(latencyMs);
    },
  },
} as unknown as PickableBackend;
const decide = (): Decision => ({ ok: true, server: { address: '127.0.0.1:7001', backendId: 'backend-1', policy: 'round_robin' }, backend });
const options = { decide, outcomes: { recordOutcome: () => undefined }, nowMs: () => 0 };

function picksFrame(requestIds: number[], dones: SocketDone[] = []): Buffer {
  const writer = new FrameWriter();
  writePicksFrame(
    writer,
    dones,
    requestIds.map((requestId) => ({ requestId, taskType: TaskType.SIMPLE, key: '', exclude: [] })),
  );
  return writer.take();
}

const test = suite('pick socket session');
test.before.each(() => {
  Object.assign(load, { started: 0, ended: 0, latencies: [] });
});

test('a frame that arrives a byte at a time is answered as a whole one: address first, then the policy, then the replies', () => {
  const socket = new FakeSocket();
  const session = new PickSocketSession(socket as unknown as net.Socket, options, Buffer.alloc(0));
  for (const byte of picksFrame([1, 2, 3])) socket.emit('data', Buffer.from([byte]));
  const frames = socket.frames();
  assert.equal(
    frames.map((frame) => frame.type),
    [3, 2, 1],
    'POLICY, ADDRESS, REPLIES',
  );
  const replies = frames[2] as FrameCursor;
  const count = replies.u16('count');
  assert.equal(
    Array.from({ length: count }, () => readReply(replies)),
    [1, 2, 3].map((requestId) => ({ requestId, statusCode: 0, addressRef: 0, message: '' })),
  );
  assert.is(load.started, 3);
  session.close(GrpcStatus.UNAVAILABLE, 'done');
  assert.is(load.ended, 3, 'closing released the picks never reported');
});

test('the ends a frame carries end their picks with their latencies, once', () => {
  const socket = new FakeSocket();
  new PickSocketSession(socket as unknown as net.Socket, options, picksFrame([1, 2]));
  const done = (requestId: number): SocketDone => ({ requestId, latencyMs: 2.5, ok: true, statusCode: 0 });
  socket.emit('data', picksFrame([3], [done(1), done(1), done(99)]));
  assert.equal([load.started, load.ended, load.latencies], [3, 1, [2.5]]);
});

test('the frames of one read are answered in one write, each with its own REPLIES frame', () => {
  const socket = new FakeSocket();
  new PickSocketSession(socket as unknown as net.Socket, options, Buffer.alloc(0));
  const writesBefore = socket.written.length;
  socket.emit('data', Buffer.concat([picksFrame([1, 2]), picksFrame([3]), picksFrame([4, 5, 6])]));
  assert.is(socket.written.length - writesBefore, 1, 'one write for the three frames');
  const counts = socket
    .frames()
    .filter((frame) => frame.type === 1) // REPLIES
    .map((frame) => frame.u16('count'));
  assert.equal(counts, [2, 1, 3]);
});

test('a socket that takes no more stops the reading until it drains', () => {
  const socket = new FakeSocket();
  new PickSocketSession(socket as unknown as net.Socket, options, Buffer.alloc(0));
  socket.isTaking = false;
  socket.emit('data', picksFrame([1]));
  assert.ok(socket.isPaused, 'paused');
  socket.isTaking = true;
  socket.emit('drain');
  assert.not.ok(socket.isPaused, 'reading again');
});

test('past its bound of unflushed reply bytes the connection ends with RESOURCE_EXHAUSTED, releasing its picks', () => {
  const socket = new FakeSocket();
  new PickSocketSession(socket as unknown as net.Socket, options, Buffer.alloc(0), undefined, 64);
  socket.isTaking = false;
  socket.writableLength = 65;
  socket.emit('data', picksFrame([1, 2]));
  assert.ok(socket.ended, 'the session ended the connection');
  const close = socket.frames().at(-1) as FrameCursor;
  assert.equal([close.type, close.u8('code')], [4, GrpcStatus.RESOURCE_EXHAUSTED]);
  assert.match(close.string('message'), /65 bytes of replies are waiting for this client to read them \(at most 64\)/);
  assert.equal([load.started, load.ended], [2, 2]);
  socket.emit('data', picksFrame([3]));
  assert.is(load.started, 2, 'nothing is read after the end');
});

test.run();
