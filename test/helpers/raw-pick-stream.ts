// A hostile GetServerStream client on plain node:http2: writes picks as fast as HTTP/2 takes them and reads no reply until told.
//
// grpc-js's own client is no good for this: it queues every write without backpressure and then
// crawls through the queue, so it never pushes an LB hard. Here requests go out 1,000 to a
// DATA write, each write waits for 'drain', and the response side stays paused, so HTTP/2 flow
// control is all that holds the client back: exactly what a server must rely on.
import http2 from 'node:http2';

import { GetServerReply, GetServerRequest } from '../../src/runtime/wire/gen/lbx/v1/load_balancer.js';

const PICKS_PER_WRITE = 1_000;
const GRPC_PREFIX_BYTES = 5;

export interface StreamEnd {
  readonly replies: readonly GetServerReply[];
  /** grpc-status from the trailers (-1 when the stream ended without one). */
  readonly status: number;
  readonly message: string;
}

export interface RawPickStream {
  /** Requests handed to HTTP/2 so far. */
  written(): number;
  /** True once every request was written. */
  isDone(): boolean;
  /** Starts reading: resolves with the replies once the LB sends its status (or the stream closes without one). */
  readAll(): Promise<StreamEnd>;
  /** Ends the request side (half-close). */
  end(): void;
  close(): void;
}

/** Resolves on the stream's next 'drain', or when it closes (no drain will come), leaving no listener behind. */
function drainOrClose(stream: http2.ClientHttp2Stream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

/** One gRPC message frame: uncompressed flag, big-endian length, the message. */
function frame(message: Uint8Array): Buffer {
  const prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** Opens GetServerStream on `address` (host:port) and writes `total` SIMPLE picks, request ids 1…total, without reading. */
export function floodPickStream(address: string, total: number): RawPickStream {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => undefined);
  const stream = session.request({ ':method': 'POST', ':path': '/lbx.v1.LoadBalancer/GetServerStream', 'content-type': 'application/grpc', te: 'trailers' });
  stream.pause();
  stream.on('error', () => undefined);
  // Headers and trailers arrive whether or not the data is read: keep the status from the start.
  const ended = { status: -1, message: '' };
  const readStatus = (headers: http2.IncomingHttpHeaders): void => {
    if (headers['grpc-status'] === undefined) return;
    ended.status = Number(headers['grpc-status']);
    if (typeof headers['grpc-message'] === 'string') ended.message = decodeURIComponent(headers['grpc-message']);
  };
  stream.on('response', readStatus);
  stream.on('trailers', readStatus);
  let written = 0;
  let isDone = false;
  void (async () => {
    for (let first = 1; first <= total && !stream.destroyed; first += PICKS_PER_WRITE) {
      const last = Math.min(total, first + PICKS_PER_WRITE - 1);
      const batch: Buffer[] = [];
      for (let id = first; id <= last; id += 1) {
        batch.push(frame(GetServerRequest.encode({ clientId: 'flood', taskType: 1, key: '', exclude: [], requestId: id, done: [] }).finish()));
      }
      const isFlowing = stream.write(Buffer.concat(batch));
      written = last;
      if (!isFlowing) await drainOrClose(stream);
    }
    isDone = written === total;
  })();

  return {
    written: () => written,
    isDone: () => isDone,
    readAll: () =>
      new Promise<StreamEnd>((resolve) => {
        const replies: GetServerReply[] = [];
        let pending = Buffer.alloc(0);
        stream.on('data', (chunk: Buffer) => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= GRPC_PREFIX_BYTES) {
            const length = pending.readUInt32BE(1);
            if (pending.length < GRPC_PREFIX_BYTES + length) break;
            replies.push(GetServerReply.decode(pending.subarray(GRPC_PREFIX_BYTES, GRPC_PREFIX_BYTES + length)));
            pending = pending.subarray(GRPC_PREFIX_BYTES + length);
          }
        });
        // The server's side ends after its status, though this side may still be open (writing).
        const finish = (): void => resolve({ replies, status: ended.status, message: ended.message });
        stream.on('end', finish);
        stream.on('close', finish);
        stream.resume();
      }),
    end: () => stream.end(),
    close: () => {
      stream.destroy();
      session.destroy();
    },
  };
}
