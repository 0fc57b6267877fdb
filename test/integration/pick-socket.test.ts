// The pick socket on the look-aside LB's port: lbx's client picks over it, gRPC callers share the port, a malformed or
// greedy client loses only its own connection, and a client facing an LB without one falls back to the gRPC stream.
// The LB runs in this process (in-process-lb.ts), so its picks can be counted exactly.
import net from 'node:net';

import { credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { PickStream } from '../../src/runtime/client/pick-stream.js';
import type { Picks } from '../../src/runtime/client/pending-picks.js';
import { SocketPickStream } from '../../src/runtime/client/socket-pick-stream.js';
import { callUnary } from '../../src/runtime/grpc/unary.js';
import { isServiceError } from '../../src/runtime/grpc/status-errors.js';
import { FrameWriter, PICK_SOCKET_PREFACE, writePicksFrame, type SocketPick } from '../../src/runtime/pick-socket/pick-frames.js';
import { LoadBalancerClient } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import { eventually } from '../helpers/lbx-cli.js';
import { startInProcessLb, type InProcessLb } from '../helpers/in-process-lb.js';
import { withTimeout } from '../helpers/with-timeout.js';

const TIMEOUT_MS = 5_000;
const noFallback = (): Picks => {
  throw new Error('the client fell back to gRPC against an LB with a pick socket');
};
const socketPicks = (lab: InProcessLb, fallback: () => Picks = noFallback): SocketPickStream =>
  new SocketPickStream('127.0.0.1', Number(lab.server.address.split(':')[1]), TIMEOUT_MS, fallback);

/** Everything one raw connection receives until the LB closes it. */
function rawExchange(address: string, bytes: Buffer): Promise<Buffer> {
  const [host, port] = address.split(':') as [string, string];
  return withTimeout(
    new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect({ host, port: Number(port) }, () => socket.write(bytes));
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
    }),
    TIMEOUT_MS,
    'the LB to close the connection',
  );
}

/** The CLOSE frame at the end of what the LB sent: its status code and message. */
function closeFrameOf(received: Buffer): { code: number; message: string } {
  assert.ok(received.subarray(0, PICK_SOCKET_PREFACE.length).equals(PICK_SOCKET_PREFACE), 'the LB answered the preface');
  let offset = PICK_SOCKET_PREFACE.length;
  let close: { code: number; message: string } | undefined;
  while (offset + 4 <= received.length) {
    const length = received.readUInt32LE(offset);
    const body = received.subarray(offset + 4, offset + 4 + length);
    if (body[0] === 4) close = { code: body[1] as number, message: body.toString('utf8', 4, 4 + body.readUInt16LE(2)) };
    offset += 4 + length;
  }
  assert.ok(close !== undefined, 'the LB sent a CLOSE frame');
  return close;
}

const frameOf = (dones: Parameters<typeof writePicksFrame>[1], picks: SocketPick[]): Buffer => {
  const writer = new FrameWriter();
  writePicksFrame(writer, dones, picks);
  return writer.take();
};
const simplePick = (requestId: number): SocketPick => ({ requestId, taskType: TaskType.SIMPLE, key: '', exclude: [] });

const test = suite('pick socket');
let lab: InProcessLb | undefined;
let picks: Picks | undefined;
test.after.each(async () => {
  picks?.close();
  await lab?.server.stop(0);
  lab = undefined;
  picks = undefined;
});

test('lbx picks over the socket: every backend in turn, the policy named once, ends reported on the next frame', async () => {
  lab = await startInProcessLb({ backends: 4 });
  const stream = socketPicks(lab);
  picks = stream;
  const first = await Promise.all(Array.from({ length: 100 }, () => stream.pick(TaskType.SIMPLE, '', [])));
  assert.equal(new Set(first.map((pick) => pick.address)).size, 4, 'round robin over 4 backends');
  assert.equal(first.map((pick) => pick.policy).filter(Boolean), ['round_robin'], 'the policy rides on the first pick only');
  assert.ok(
    first.every((pick) => pick.source === stream),
    'every pick came over the socket',
  );
  assert.is(lab.balancer.stats().picks, 100);
  // Failed ends count against their backend once they reach the LB, with the next frame.
  const failedOn = first[0]?.address;
  for (const pick of first.filter((each) => each.address === failedOn)) stream.reportDone(pick.requestId, 1.5, false, GrpcStatus.UNAVAILABLE);
  await stream.pick(TaskType.SIMPLE, '', []);
  const failures = lab.balancer.stats().backends.find((backend) => backend.address === failedOn)?.failuresReported;
  assert.is(failures, 25, 'the 25 failed ends were counted');
});

test('the port serves gRPC beside it: GetServer and the health service on the same address', async () => {
  lab = await startInProcessLb({ backends: 2 });
  const client = new LoadBalancerClient(lab.server.address, credentials.createInsecure());
  try {
    const pick = await callUnary(client.getServer.bind(client), { clientId: 'stock', taskType: TaskType.SIMPLE, key: '', exclude: [], requestId: 0, done: [] }, TIMEOUT_MS);
    assert.match(pick.address, /^127\.0\.0\.1:700[12]$/);
  } finally {
    client.close();
  }
});

test('a malformed frame ends its own connection with INVALID_ARGUMENT naming what was wrong; the LB serves on', async () => {
  lab = await startInProcessLb({ backends: 2 });
  const unknownType = Buffer.from([1, 0, 0, 0, 9]);
  const truncated = frameOf([], [simplePick(1)]).subarray(0, 12);
  truncated.writeUInt32LE(8, 0);
  const oversized = Buffer.from([0, 0, 0, 2, 1]);
  const cases: Array<[Buffer, RegExp]> = [
    [unknownType, /unknown frame type 9: expected PICKS \(1\)/],
    [truncated, /a frame of 8 bytes ends inside a pick request id/],
    [oversized, /a frame of 33554432 bytes: expected 1 to 1048576/],
  ];
  for (const [frame, expected] of cases) {
    const close = closeFrameOf(await rawExchange(lab.server.address, Buffer.concat([PICK_SOCKET_PREFACE, frame])));
    assert.equal([GrpcStatus[close.code], expected.test(close.message)], ['INVALID_ARGUMENT', true], close.message);
  }
  // A pick whose fields are wrong is refused in-band, on a connection that serves on.
  const stream = socketPicks(lab);
  picks = stream;
  assert.ok((await stream.pick(TaskType.SIMPLE, '', [])).address.startsWith('127.0.0.1:700'), 'a new connection is served');
  const bad = await stream.pick(7, '', []).catch((error: unknown) => error);
  assert.ok(isServiceError(bad) && bad.code === GrpcStatus.INVALID_ARGUMENT && /unknown task_type 7/.test(bad.details), String(bad));
  assert.ok((await stream.pick(TaskType.SIMPLE, '', [])).address.startsWith('127.0.0.1:700'), 'the same connection serves on');
});

/** A client that writes `frames` frames of 1,000 picks as fast as TCP takes them and reads nothing until resumed. */
function floodPicks(address: string, frames: number): { socket: net.Socket } {
  const [host, port] = address.split(':') as [string, string];
  const frame = frameOf(
    [],
    Array.from({ length: 1_000 }, (_, index) => simplePick(index + 1)),
  );
  const socket = net.connect({ host, port: Number(port) });
  socket.pause();
  let written = 0;
  // Each write waits for 'drain' when the socket will not take more: TCP is all that holds this client back.
  const writeMore = (): void => {
    while (written < frames) {
      const isFlowing = socket.write(written === 0 ? Buffer.concat([PICK_SOCKET_PREFACE, frame]) : frame);
      written += 1;
      if (!isFlowing) return void socket.once('drain', writeMore);
    }
  };
  writeMore();
  return { socket };
}

/** Request ids of the REPLIES frames in what the LB sent, in order (after its preface). */
function replyIds(received: Buffer): number[] {
  const ids: number[] = [];
  let offset = PICK_SOCKET_PREFACE.length;
  while (offset + 4 <= received.length) {
    const length = received.readUInt32LE(offset);
    const body = received.subarray(offset + 4, offset + 4 + length);
    if (body[0] === 1) {
      let at = 3;
      for (let count = body.readUInt16LE(1); count > 0; count -= 1) {
        ids.push(body.readUInt32LE(at));
        at += body[at + 4] === 0 ? 7 : 7 + body.readUInt16LE(at + 5);
      }
    }
    offset += 4 + length;
  }
  return ids;
}

// How far a client that does not read can push: the LB stops reading when its socket takes no more (TCP then holds the
// client back) and drops a connection past its bound of unflushed replies; both are unit-tested with a socket that
// fills at will (pick-socket-session.test.ts), since the kernel's loopback buffers here take tens of megabytes first.
test('a client that floods 200,000 picks and reads late gets every reply, in order, and others are served meanwhile', async () => {
  lab = await startInProcessLb({ backends: 2 });
  const FRAMES = 200;
  const flood = floodPicks(lab.server.address, FRAMES);
  try {
    const received: Buffer[] = [];
    flood.socket.on('data', (chunk: Buffer) => received.push(chunk));
    const other = socketPicks(lab);
    picks = other;
    assert.ok((await other.pick(TaskType.SIMPLE, '', [])).address.startsWith('127.0.0.1:700'), 'another client is served at once');
    const balancer = lab.balancer;
    await eventually(() => balancer.stats().picks === FRAMES * 1_000 + 1, 60_000);
    flood.socket.resume();
    let ids: number[] = [];
    await eventually(() => (ids = replyIds(Buffer.concat(received))).length === FRAMES * 1_000, 30_000);
    const expected = Array.from({ length: FRAMES * 1_000 }, (_, index) => (index % 1_000) + 1);
    assert.ok(
      ids.every((id, index) => id === expected[index]),
      'every reply, in request order',
    );
  } finally {
    flood.socket.destroy();
  }
});

test('against an LB without a pick socket the client falls back to its gRPC stream, for the picks already asked and the next', async () => {
  lab = await startInProcessLb({ backends: 2, pickSocket: false });
  const lb = new LoadBalancerClient(lab.server.address, credentials.createInsecure());
  let fallback: PickStream | undefined;
  const stream = socketPicks(lab, () => (fallback = new PickStream(lb, TIMEOUT_MS)));
  picks = stream;
  try {
    const both = await Promise.all([stream.pick(TaskType.SIMPLE, '', []), stream.pick(TaskType.SIMPLE, '', [])]);
    assert.ok(fallback !== undefined && both.every((pick) => pick.source === fallback), 'both picks went over the gRPC stream');
    assert.is(lab.balancer.stats().picks, 2, 'each pick was made once');
    assert.ok((await stream.pick(TaskType.SIMPLE, '', [])).source === fallback, 'the next pick goes straight to the gRPC stream');
    assert.is(lab.balancer.stats().picks, 3);
  } finally {
    lb.close();
  }
});

test('an LB that stops ends its pick sessions: what waits fails UNAVAILABLE, and the next pick reconnects to its successor', async () => {
  lab = await startInProcessLb({ backends: 2 });
  const port = lab.server.port;
  const stream = socketPicks(lab);
  picks = stream;
  await stream.pick(TaskType.SIMPLE, '', []);
  await lab.server.stop(0);
  const gone = await stream.pick(TaskType.SIMPLE, '', []).catch((error: unknown) => error);
  assert.ok(isServiceError(gone) && gone.code === GrpcStatus.UNAVAILABLE, String(gone));
  lab = await startInProcessLb({ backends: 2, port });
  assert.ok((await stream.pick(TaskType.SIMPLE, '', [])).address.startsWith('127.0.0.1:700'));
});

test.run();
