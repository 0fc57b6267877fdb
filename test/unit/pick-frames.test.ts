// The pick socket's frames: what the client writes the LB reads back field for field, and a frame that does not add
// up is a FrameError naming where it went wrong.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  FrameCursor,
  FrameError,
  FrameReader,
  FrameWriter,
  MAX_PICKS_PER_FRAME,
  readPicksFrame,
  writePicksFrame,
  type SocketPick,
} from '../../src/runtime/pick-socket/pick-frames.js';

/** The bodies of every whole frame in `bytes`. */
function bodies(bytes: Buffer): Buffer[] {
  const found: Buffer[] = [];
  new FrameReader(1 << 20).push(bytes, (body) => found.push(Buffer.from(body)));
  return found;
}

const test = suite('pick frames');

test('picks and ends round-trip: ids, task types, UTF-8 keys, exclusions, latencies and statuses', () => {
  const writer = new FrameWriter();
  const picks: SocketPick[] = [
    { requestId: 1, taskType: 1, key: '', exclude: [] },
    { requestId: 4_294_967_295, taskType: 2, key: 'kunde-ø-日本', exclude: ['127.0.0.1:7001', '[::1]:7002'] },
  ];
  const dones = [{ requestId: 7, latencyMs: 0.125, ok: false, statusCode: 14 }];
  writePicksFrame(writer, dones, picks);
  const [body] = bodies(writer.take());
  assert.equal(readPicksFrame(new FrameCursor(body as Buffer)), { dones, picks });
});

test('a list of exclusions past 255 is cut to 255, and the rest of the frame still reads', () => {
  const writer = new FrameWriter();
  const exclude = Array.from({ length: 300 }, (_, index) => `127.0.0.1:${7000 + index}`);
  writePicksFrame(
    writer,
    [],
    [
      { requestId: 1, taskType: 1, key: '', exclude },
      { requestId: 2, taskType: 2, key: 'k', exclude: [] },
    ],
  );
  const [body] = bodies(writer.take()) as [Buffer];
  const { picks } = readPicksFrame(new FrameCursor(body));
  assert.equal([picks[0]?.exclude.length, picks[0]?.exclude.at(-1), picks[1]?.requestId, picks[1]?.key], [255, '127.0.0.1:7254', 2, 'k']);
});

test('a frame split anywhere is read once whole, and several in one chunk each once', () => {
  const writer = new FrameWriter();
  for (let id = 1; id <= 3; id += 1) writePicksFrame(writer, [], [{ requestId: id, taskType: 1, key: 'k', exclude: [] }]);
  const bytes = writer.take();
  for (let cut = 1; cut < bytes.length; cut += 1) {
    const reader = new FrameReader(1 << 20);
    const ids: number[] = [];
    const onFrame = (body: Buffer): void => void ids.push(...readPicksFrame(new FrameCursor(body)).picks.map((pick) => pick.requestId));
    reader.push(bytes.subarray(0, cut), onFrame);
    reader.push(bytes.subarray(cut), onFrame);
    assert.equal(ids, [1, 2, 3], `cut at byte ${cut}`);
  }
});

test('a frame that does not add up names where it went wrong', () => {
  const errorOf = (run: () => void): string => {
    try {
      run();
    } catch (error) {
      assert.instance(error, FrameError);
      return (error as Error).message;
    }
    return 'no error';
  };
  const writer = new FrameWriter();
  writePicksFrame(writer, [], [{ requestId: 1, taskType: 1, key: 'abc', exclude: [] }]);
  const [body] = bodies(writer.take()) as [Buffer];
  assert.match(
    errorOf(() => readPicksFrame(new FrameCursor(body.subarray(0, body.length - 2)))),
    /ends inside a pick key/,
  );
  assert.match(
    errorOf(() => readPicksFrame(new FrameCursor(Buffer.concat([body, Buffer.from([0])])))),
    /a PICKS frame has 1 bytes past its last field/,
  );
  const tooMany = Buffer.from([1, 0, 0, 0, 0]);
  tooMany.writeUInt16LE(MAX_PICKS_PER_FRAME + 1, 3);
  assert.match(
    errorOf(() => readPicksFrame(new FrameCursor(tooMany))),
    /a PICKS frame of 1001 picks: expected at most 1000/,
  );
  const manyDones = Buffer.from([1, 0xff, 0xff]);
  assert.match(
    errorOf(() => readPicksFrame(new FrameCursor(manyDones))),
    /announces 65535 dones but holds 0 bytes/,
  );
  assert.match(
    errorOf(() => new FrameReader(16).push(Buffer.from([17, 0, 0, 0]), () => undefined)),
    /a frame of 17 bytes: expected 1 to 16/,
  );
  assert.match(
    errorOf(() => new FrameReader(16).push(Buffer.from([0, 0, 0, 0]), () => undefined)),
    /a frame of 0 bytes/,
  );
});

test('a string past its length field is cut at a whole character, not mid-way', () => {
  const writer = new FrameWriter();
  writer.beginFrame(9).string('ø'.repeat(200), 1).endFrame();
  const [body] = bodies(writer.take()) as [Buffer];
  const text = new FrameCursor(body).string('name', 1);
  assert.is(text, 'ø'.repeat(127), '254 bytes of 2-byte characters');
});

test.run();
