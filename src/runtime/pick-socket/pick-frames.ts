// The pick socket's wire format: lbx's own client asks the LB for picks over a bare TCP connection on the LB's port.
//
// Why not gRPC: a pick is a few bytes of work for the policy, and on GetServerBatchStream the stack around it (HTTP/2
// framing, grpc-js's call and stream objects, protobuf) cost ~20 µs of LB CPU and ~15 µs of client CPU per pick on
// this machine, enough to make the LB path the slowest part of a look-aside run (issue 14). The exchange is the same
// as GetServerBatchStream's — picks of one event-loop turn in one frame, their replies in one, ends of earlier picks
// carried on the next frame — and so are the answers (the LB runs the same decision on them).
//
// A connection starts with PICK_SOCKET_PREFACE from each side (the LB tells it from an HTTP/2 preface and hands
// everything else to its gRPC server). Then frames: a u32 length of the body, then the body, whose first byte is the
// frame's type. Integers are little-endian, strings UTF-8 with a u16 length.
//
//   client → LB  PICKS    u16 done count, per done: u32 request id, f64 latency ms, u8 ok, u8 status code;
//                         u16 pick count, per pick: u32 request id, u8 task type, key, u8 exclude count, addresses
//   LB → client  ADDRESS  u16 ref, address          (before the first reply that uses the ref)
//                POLICY   u8 length, name           (before the replies picked under a new policy)
//                REPLIES  u16 count, per reply: u32 request id, u8 status code; 0: u16 address ref, else a message
//                CLOSE    u8 status code, message   (the LB ends the session: protocol error, overload, stopping)
// Anything malformed ends the connection with CLOSE INVALID_ARGUMENT naming what was wrong.

export const PICK_SOCKET_PREFACE = Buffer.from('LBXPICK1', 'latin1');

/** Whether `seen` (a connection's first bytes) opens with the preface: decided at the first byte that differs. */
export function matchPreface(seen: Buffer): 'yes' | 'no' | 'too short' {
  const length = Math.min(seen.length, PICK_SOCKET_PREFACE.length);
  for (let index = 0; index < length; index += 1) if (seen[index] !== PICK_SOCKET_PREFACE[index]) return 'no';
  return seen.length >= PICK_SOCKET_PREFACE.length ? 'yes' : 'too short';
}
/** A frame's body may be at most this long (a full batch of 1,000 picks with 256-byte keys fits). */
export const MAX_PICK_FRAME_BYTES = 1 << 20;
/** Picks one frame may carry, as on GetServerBatchStream. */
export const MAX_PICKS_PER_FRAME = 1_000;
/** Address refs one connection can hold (a u16); past it the LB ends the session and the client opens a new one. */
export const MAX_ADDRESS_REFS = 0xffff;

export const enum ClientFrameType {
  Picks = 1,
}

export const enum LbFrameType {
  Replies = 1,
  Address = 2,
  Policy = 3,
  Close = 4,
}

export interface SocketPick {
  readonly requestId: number;
  readonly taskType: number;
  readonly key: string;
  readonly exclude: readonly string[];
}

export interface SocketDone {
  readonly requestId: number;
  readonly latencyMs: number;
  readonly ok: boolean;
  readonly statusCode: number;
}

export interface SocketReply {
  readonly requestId: number;
  /** 0 when a backend was picked. */
  readonly statusCode: number;
  /** With status 0: the ref of the backend's address. */
  readonly addressRef: number;
  /** Otherwise: why the pick failed. */
  readonly message: string;
}

const FRAME_HEADER_BYTES = 4;
const DONE_BYTES = 14;
const MAX_U8 = 0xff;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

/** Appends frames to one growing buffer: a turn's frames leave in one write. */
export class FrameWriter {
  private buffer = Buffer.allocUnsafe(512);
  private length = 0;
  private frameStart = -1;

  /** Starts a frame of `type`; its length is filled in by endFrame. */
  beginFrame(type: number): this {
    this.frameStart = this.length;
    this.reserve(FRAME_HEADER_BYTES + 1);
    this.length += FRAME_HEADER_BYTES;
    return this.u8(type);
  }

  endFrame(): void {
    this.buffer.writeUInt32LE(this.length - this.frameStart - FRAME_HEADER_BYTES, this.frameStart);
    this.frameStart = -1;
  }

  u8(value: number): this {
    this.reserve(1);
    this.buffer[this.length] = value;
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.buffer.writeUInt16LE(value, this.length);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.buffer.writeUInt32LE(value, this.length);
    this.length += 4;
    return this;
  }

  f64(value: number): this {
    this.reserve(8);
    this.buffer.writeDoubleLE(value, this.length);
    this.length += 8;
    return this;
  }

  /** A string with a u16 (or, for `lengthBytes` 1, a u8) byte length; longer strings are cut at the limit. */
  string(value: string, lengthBytes: 1 | 2 = 2): this {
    const limit = lengthBytes === 1 ? MAX_U8 : MAX_U16;
    if (value.length === 0) return lengthBytes === 1 ? this.u8(0) : this.u16(0);
    // At most 3 bytes a UTF-16 unit: no scan of the string for its exact length.
    this.reserve(lengthBytes + value.length * 3);
    const written = this.buffer.write(value, this.length + lengthBytes, Math.min(limit, this.buffer.length - this.length - lengthBytes), 'utf8');
    if (lengthBytes === 1) this.buffer[this.length] = written;
    else this.buffer.writeUInt16LE(written, this.length);
    this.length += lengthBytes + written;
    return this;
  }

  get isEmpty(): boolean {
    return this.length === 0;
  }

  /** The frames written so far, and a fresh start for the next ones. */
  take(): Buffer {
    const frames = this.buffer.subarray(0, this.length);
    this.buffer = Buffer.allocUnsafe(Math.max(512, this.buffer.length));
    this.length = 0;
    return frames;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}

/** Reads one frame body, checking every length against what is left; a short body throws FrameError. */
export class FrameCursor {
  private offset = 1;

  constructor(private readonly body: Buffer) {}

  get type(): number {
    return this.body[0] ?? -1;
  }

  u8(field: string): number {
    this.need(1, field);
    const value = this.body[this.offset] as number;
    this.offset += 1;
    return value;
  }

  u16(field: string): number {
    this.need(2, field);
    const value = this.body.readUInt16LE(this.offset);
    this.offset += 2;
    return value;
  }

  u32(field: string): number {
    this.need(4, field);
    const value = this.body.readUInt32LE(this.offset);
    this.offset += 4;
    return value;
  }

  f64(field: string): number {
    this.need(8, field);
    const value = this.body.readDoubleLE(this.offset);
    this.offset += 8;
    return value;
  }

  string(field: string, lengthBytes: 1 | 2 = 2): string {
    const length = lengthBytes === 1 ? this.u8(`${field}'s length`) : this.u16(`${field}'s length`);
    if (length === 0) return '';
    this.need(length, field);
    const value = this.body.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** The frame must end here: trailing bytes mean the two sides disagree on the format. */
  end(frame: string): void {
    if (this.offset !== this.body.length) throw new FrameError(`a ${frame} frame has ${this.body.length - this.offset} bytes past its last field`);
  }

  remaining(): number {
    return this.body.length - this.offset;
  }

  private need(bytes: number, field: string): void {
    if (this.offset + bytes > this.body.length) {
      throw new FrameError(`a frame of ${this.body.length} bytes ends inside ${field} (at byte ${this.offset}, ${bytes} more needed)`);
    }
  }
}

/** A frame that does not parse: the session ends with INVALID_ARGUMENT and this message. */
export class FrameError extends Error {}

/** Splits a byte stream into frame bodies; a frame announcing more than `maxFrameBytes` is a FrameError. */
export class FrameReader {
  private pending: Buffer | undefined;

  constructor(private readonly maxFrameBytes: number) {}

  /** Calls `onFrame` with each whole body in `chunk` (a view: read it before returning); keeps a partial one for later. */
  push(chunk: Buffer, onFrame: (body: Buffer) => void): void {
    let data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;
    let offset = 0;
    while (data.length - offset >= FRAME_HEADER_BYTES) {
      const length = data.readUInt32LE(offset);
      if (length === 0 || length > this.maxFrameBytes) throw new FrameError(`a frame of ${length} bytes: expected 1 to ${this.maxFrameBytes}`);
      if (data.length - offset - FRAME_HEADER_BYTES < length) break;
      const start = offset + FRAME_HEADER_BYTES;
      offset = start + length;
      onFrame(data.subarray(start, offset));
    }
    if (offset < data.length) {
      data = data.subarray(offset);
      // Copied: the chunk it came from is the socket's and may be large.
      this.pending = Buffer.from(data);
    }
  }
}

/** The client's frame: ends of earlier picks, then this turn's picks. */
export function writePicksFrame(writer: FrameWriter, dones: readonly SocketDone[], picks: readonly SocketPick[]): void {
  writer.beginFrame(ClientFrameType.Picks).u16(dones.length);
  for (const done of dones)
    writer
      .u32(done.requestId)
      .f64(done.latencyMs)
      .u8(done.ok ? 1 : 0)
      .u8(Math.min(MAX_U8, done.statusCode));
  writer.u16(picks.length);
  for (const pick of picks) {
    // Past 255 exclusions (the LB refuses more than 64 in-band anyway) the list is cut, never miscounted.
    const exclude = pick.exclude.length > MAX_U8 ? pick.exclude.slice(0, MAX_U8) : pick.exclude;
    writer.u32(pick.requestId).u8(pick.taskType).string(pick.key).u8(exclude.length);
    for (const address of exclude) writer.string(address);
  }
  writer.endFrame();
}

/** The LB's reading of a PICKS frame (the cursor is past the type byte); its fields' values are checked by the caller. */
export function readPicksFrame(cursor: FrameCursor): { dones: SocketDone[]; picks: SocketPick[] } {
  const doneCount = cursor.u16('the done count');
  if (cursor.remaining() < doneCount * DONE_BYTES) throw new FrameError(`a PICKS frame announces ${doneCount} dones but holds ${cursor.remaining()} bytes`);
  const dones: SocketDone[] = [];
  for (let index = 0; index < doneCount; index += 1) {
    dones.push({
      requestId: cursor.u32('a done request id'),
      latencyMs: cursor.f64('a done latency'),
      ok: cursor.u8('a done ok') === 1,
      statusCode: cursor.u8('a done status code'),
    });
  }
  const pickCount = cursor.u16('the pick count');
  if (pickCount > MAX_PICKS_PER_FRAME) throw new FrameError(`a PICKS frame of ${pickCount} picks: expected at most ${MAX_PICKS_PER_FRAME}`);
  const picks: SocketPick[] = [];
  for (let index = 0; index < pickCount; index += 1) {
    const requestId = cursor.u32('a pick request id');
    const taskType = cursor.u8('a pick task type');
    const key = cursor.string('a pick key');
    const excludeCount = cursor.u8('a pick exclude count');
    const exclude: string[] = [];
    for (let entry = 0; entry < excludeCount; entry += 1) exclude.push(cursor.string('an exclude entry'));
    picks.push({ requestId, taskType, key, exclude });
  }
  cursor.end('PICKS');
  return { dones, picks };
}

export function writeReply(writer: FrameWriter, reply: SocketReply): void {
  writer.u32(reply.requestId).u8(reply.statusCode);
  if (reply.statusCode === 0) writer.u16(reply.addressRef);
  else writer.string(reply.message);
}

export function readReply(cursor: FrameCursor): SocketReply {
  const requestId = cursor.u32('a reply request id');
  const statusCode = cursor.u8('a reply status code');
  if (statusCode === 0) return { requestId, statusCode, addressRef: cursor.u16('a reply address ref'), message: '' };
  return { requestId, statusCode, addressRef: 0, message: cursor.string('a reply message') };
}

export function writeCloseFrame(writer: FrameWriter, statusCode: number, message: string): void {
  writer.beginFrame(LbFrameType.Close).u8(statusCode).string(message);
  writer.endFrame();
}

/** Request ids are u32 on this socket: a client past the last one opens a new connection. */
export const MAX_SOCKET_REQUEST_ID = MAX_U32;
