// The relay's HTTP/2 connection against node:http2 (nghttp2) as the peer, over loopback in this process: headers with
// Huffman strings and CONTINUATION frames, bodies far beyond every flow-control window both ways, PING, resets, a
// peer that does not speak HTTP/2, and one that resets what it opens (rapid reset).
import http2 from 'node:http2';
import net from 'node:net';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { H2Connection, type H2ConnectionEvents } from '../../src/runtime/h2/h2-connection.js';
import { CONNECTION_PREFACE, ErrorCode, frame, FrameType, settingsFrame } from '../../src/runtime/h2/h2-frames.js';
import { encodeHeaderBlock, type HeaderList } from '../../src/runtime/h2/hpack.js';
import { withTimeout } from '../helpers/with-timeout.js';

const OPTIONS = { role: 'server' as const, streamWindowBytes: 256 * 1024, connectionWindowBytes: 1024 * 1024, maxConcurrentStreams: 100, maxHeaderListBytes: 64 * 1024 };

/** An echo server on H2Connection: each request's headers come back as one x-echo header, its body as the response body, passed on with the windows. */
interface EchoServer {
  readonly url: string;
  readonly resets: number[];
  readonly closed: string[];
  close(): Promise<void>;
}

async function startEchoServer(): Promise<EchoServer> {
  const resets: number[] = [];
  const closed: string[] = [];
  const server = net.createServer((socket) => {
    const hanging = new Set<number>();
    const events: H2ConnectionEvents = {
      onHeaders(streamId: number, headers: HeaderList, isEndStream: boolean) {
        if (headers[0] === 'grpc-status') return;
        const path = headers[headers.indexOf(':path') + 1];
        if (path === '/reset') return connection.sendReset(streamId, ErrorCode.ENHANCE_YOUR_CALM);
        if (path === '/hang') hanging.add(streamId);
        connection.sendHeaders(streamId, [':status', '200', 'x-echo', JSON.stringify(headers)], false);
        if (isEndStream) connection.sendHeaders(streamId, ['grpc-status', '0'], true);
      },
      onData(streamId: number, data: Buffer, isEndStream: boolean) {
        // The echo's own DATA is credited back to the client only as it leaves: back-pressure end to end.
        connection.sendData(streamId, data, false, connection, streamId);
        if (isEndStream && !hanging.has(streamId)) connection.sendHeaders(streamId, ['grpc-status', '0'], true);
      },
      onReset: (_streamId, errorCode) => resets.push(errorCode),
      onGoaway: () => undefined,
      onClose: (reason) => closed.push(reason ?? 'closed'),
    };
    const connection: H2Connection = new H2Connection(socket, OPTIONS, events);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, resets, closed, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

interface Answer {
  readonly headers: http2.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly trailers: http2.IncomingHttpHeaders;
}

function request(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ...headers });
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on('response', (received) => (responseHeaders = received));
    stream.on('trailers', (received) => (trailers = received));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve({ headers: responseHeaders, body: Buffer.concat(chunks), trailers }));
    stream.on('error', reject);
    stream.end(body);
  });
}

const echoedHeaders = (answer: Answer): Map<string, string> => {
  const list = JSON.parse(String(answer.headers['x-echo'])) as string[];
  return new Map(list.flatMap((text, index) => (index % 2 === 0 ? [[text, list[index + 1] as string] as const] : [])));
};

const connection = suite('H2Connection against node:http2');
let echo: EchoServer;
let session: http2.ClientHttp2Session;

connection.before(async () => {
  echo = await startEchoServer();
  session = http2.connect(echo.url);
});

connection.after(async () => {
  session.destroy();
  await echo.close();
});

connection('headers arrive as sent: Huffman-coded values (every printable octet), and a block split over CONTINUATION frames', async () => {
  const printable = Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index))
    .join('')
    .trim();
  const long = 'x'.repeat(20_000);
  const answer = await withTimeout(
    request(session, { ':path': '/lbx.v1.Backend/ProcessTask', 'x-printable': printable, 'x-long': long, 'x-word': 'wwwexamplecom'.repeat(3) }, Buffer.alloc(0)),
    10_000,
    'a request',
  );
  const echoed = echoedHeaders(answer);
  assert.is(echoed.get(':path'), '/lbx.v1.Backend/ProcessTask');
  assert.is(echoed.get('x-printable'), printable);
  assert.is(echoed.get('x-long'), long);
  assert.is(echoed.get('x-word'), 'wwwexamplecom'.repeat(3));
  assert.is(answer.trailers['grpc-status'], '0');
});

connection('a 3 MB body goes up and comes back intact, beyond the 256 KB stream and 1 MB connection windows, on 3 streams at once', async () => {
  const bodies = [1, 2, 3].map((seed) => Buffer.alloc(3 * 1024 * 1024, seed));
  const answers = await withTimeout(Promise.all(bodies.map((body) => request(session, { ':path': '/echo' }, body))), 30_000, 'three 3 MB echoes');
  answers.forEach((answer, index) => assert.ok(answer.body.equals(bodies[index] as Buffer), `echo ${index} intact (${answer.body.length} bytes)`));
});

connection('PING is answered', async () => {
  const ok = await withTimeout(new Promise<boolean>((resolve) => session.ping((error) => resolve(error === null))), 5_000, 'a PING');
  assert.ok(ok);
});

connection("a stream reset by either side: the client's CANCEL reaches the connection, the server's code reaches the client", async () => {
  const stream = session.request({ ':method': 'POST', ':path': '/hang' });
  await new Promise<void>((resolve) => stream.once('response', () => resolve()));
  stream.close(http2.constants.NGHTTP2_CANCEL);
  await withTimeout(
    (async () => {
      while (!echo.resets.includes(ErrorCode.CANCEL)) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    5_000,
    'the reset reaching the server',
  );
  const reset = session.request({ ':method': 'POST', ':path': '/reset' });
  reset.on('error', () => undefined);
  reset.end();
  const code = await withTimeout(new Promise<number>((resolve) => reset.on('close', () => resolve(reset.rstCode as number))), 5_000, 'a reset stream');
  assert.is(code, ErrorCode.ENHANCE_YOUR_CALM);
});

connection.run();

const hostile = suite('H2Connection: a peer that does not speak HTTP/2');

hostile('an HTTP/1.1 request instead of the preface: GOAWAY (PROTOCOL_ERROR) and the connection ends', async () => {
  const server = await startEchoServer();
  try {
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
    await withTimeout(new Promise((resolve) => socket.on('close', resolve)), 5_000, 'the connection ending');
    const bytes = Buffer.concat(received);
    // Our SETTINGS, WINDOW_UPDATE, then GOAWAY (type 7) with PROTOCOL_ERROR (1).
    const goawayAt = bytes.indexOf(Buffer.from([0x07, 0x00, 0x00, 0x00, 0x00, 0x00]), 0);
    assert.ok(goawayAt > 0, `a GOAWAY frame in ${bytes.toString('hex')}`);
    assert.is(bytes.readUInt32BE(goawayAt + 10), ErrorCode.PROTOCOL_ERROR);
    assert.match(server.closed.join(' '), /connection preface/);
  } finally {
    await server.close();
  }
});

hostile('a header block in endless empty CONTINUATION frames: GOAWAY (ENHANCE_YOUR_CALM) after 32', async () => {
  const server = await startEchoServer();
  try {
    const socket = net.connect(Number(new URL(server.url).port), '127.0.0.1');
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    const headers = frame(FrameType.HEADERS, 0, 1, Buffer.from([0x83]));
    const continuations = Array.from({ length: 1_000 }, () => frame(FrameType.CONTINUATION, 0, 1, undefined));
    socket.write(Buffer.concat([CONNECTION_PREFACE, settingsFrame([]), headers, ...continuations]));
    await withTimeout(new Promise((resolve) => socket.on('close', resolve)), 5_000, 'the connection ending');
    assert.match(server.closed.join(' '), /more than 32 frames/);
  } finally {
    await server.close();
  }
});

/** HEADERS for a new request on `streamId` (one header block, ending the request when `isEndStream`). */
const requestHeaders = (streamId: number, isEndStream: boolean): Buffer =>
  frame(FrameType.HEADERS, 0x4 | (isEndStream ? 0x1 : 0), streamId, encodeHeaderBlock([':method', 'POST', ':scheme', 'http', ':path', '/echo', ':authority', 'lbx']));
const cancel = (streamId: number): Buffer => frame(FrameType.RST_STREAM, 0, streamId, Buffer.from([0, 0, 0, ErrorCode.CANCEL]));
const PING_PAYLOAD = Buffer.from('lbx-ping');

/** Writes `frames` after the preface and a PING; resolves with what came back once the PING's ACK did, or the socket closed. */
async function exchange(url: string, frames: Buffer[]): Promise<{ readonly bytes: Buffer; readonly isClosed: boolean }> {
  const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('error', () => undefined);
  const pingAck = Buffer.concat([Buffer.from([0, 0, 8, FrameType.PING, 0x1, 0, 0, 0, 0]), PING_PAYLOAD]);
  const outcome = new Promise<boolean>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (Buffer.concat(received).includes(pingAck)) resolve(false);
    });
    socket.on('close', () => resolve(true));
  });
  socket.write(Buffer.concat([CONNECTION_PREFACE, settingsFrame([]), ...frames, frame(FrameType.PING, 0, 0, PING_PAYLOAD)]));
  const isClosed = await withTimeout(outcome, 10_000, 'the PING answered or the connection ended');
  socket.destroy();
  return { bytes: Buffer.concat(received), isClosed };
}

hostile('rapid reset: a client resetting most of the streams it opens at once gets GOAWAY (ENHANCE_YOUR_CALM)', async () => {
  const server = await startEchoServer();
  try {
    const frames = Array.from({ length: 600 }, (_, index) => [requestHeaders(2 * index + 1, false), cancel(2 * index + 1)]).flat();
    const { bytes, isClosed } = await exchange(server.url, frames);
    assert.ok(isClosed, 'the connection ended');
    const goawayAt = bytes.indexOf(Buffer.from([FrameType.GOAWAY, 0x00, 0x00, 0x00, 0x00, 0x00]));
    assert.ok(goawayAt > 0, 'a GOAWAY frame');
    assert.is(bytes.readUInt32BE(goawayAt + 10), ErrorCode.ENHANCE_YOUR_CALM);
    assert.match(server.closed.join(' '), /rapid reset: the client reset 500 of the 500 streams/);
  } finally {
    await server.close();
  }
});

hostile('a client that resets half of its streams (the losing attempt of every hedge) keeps its connection', async () => {
  const server = await startEchoServer();
  try {
    const frames = Array.from({ length: 600 }, (_, index) => {
      const completed = 4 * index + 1;
      const hedge = 4 * index + 3;
      return [requestHeaders(completed, true), requestHeaders(hedge, false), cancel(hedge)];
    }).flat();
    const { isClosed } = await exchange(server.url, frames);
    assert.not.ok(isClosed, 'the PING was answered on a connection still open');
    assert.equal(server.closed, []);
    assert.is(server.resets.length, 600);
  } finally {
    await server.close();
  }
});

hostile.run();

const credits = suite('H2Connection: windows given back');

credits("DATA queued behind a peer's window is credited to its source when the connection closes", async () => {
  const credited: number[] = [];
  const source = { credit: (_streamId: number, bytes: number) => credited.push(bytes) };
  const server = net.createServer((socket) => {
    const connection: H2Connection = new H2Connection(socket, OPTIONS, {
      onHeaders(streamId: number) {
        connection.sendHeaders(streamId, [':status', '200'], false);
        // 200,000 bytes against the client's 1,000-byte stream window: most of it waits in the queue.
        connection.sendData(streamId, Buffer.alloc(200_000, 7), false, source, 1);
      },
      onData: () => undefined,
      onReset: () => undefined,
      onGoaway: () => undefined,
      onClose: () => undefined,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, { settings: { initialWindowSize: 1_000 } });
  try {
    const stream = client.request({ ':method': 'POST', ':path': '/slow' });
    stream.on('error', () => undefined);
    await withTimeout(new Promise((resolve) => stream.once('response', resolve)), 5_000, 'the response headers');
    client.destroy();
    await withTimeout(
      (async () => {
        while (credited.reduce((sum, bytes) => sum + bytes, 0) < 200_000) await new Promise((resolve) => setTimeout(resolve, 10));
      })(),
      5_000,
      'every queued byte credited back',
    );
    assert.is(
      credited.reduce((sum, bytes) => sum + bytes, 0),
      200_000,
    );
  } finally {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

credits.run();
