// HTTP/2 framing (RFC 9113, section 4): frame types, flags, settings and error codes, a reader that cuts a byte stream into frames, and frame writers.
export const CONNECTION_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
export const FRAME_HEADER_BYTES = 9;

export const FrameType = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const Setting = { HEADER_TABLE_SIZE: 1, ENABLE_PUSH: 2, MAX_CONCURRENT_STREAMS: 3, INITIAL_WINDOW_SIZE: 4, MAX_FRAME_SIZE: 5, MAX_HEADER_LIST_SIZE: 6 } as const;
export const ErrorCode = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 11,
} as const;

export const DEFAULT_MAX_FRAME_BYTES = 16_384;
export const DEFAULT_WINDOW_BYTES = 65_535;
export const MAX_WINDOW_BYTES = 2 ** 31 - 1;

/** Called once per complete frame; `payload` is a view valid only during the call. */
export type FrameHandler = (type: number, flags: number, streamId: number, payload: Buffer) => void;

/** Cuts incoming bytes into frames, keeping a partial one across chunks; frames above `maxFrameBytes` are refused. */
export class FrameReader {
  /** Bytes of a frame not yet whole, kept as they came: joined once the frame is complete, so a frame sent a byte at a time costs no more than one sent whole. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being waited for (header included); 0 while its header is incomplete. */
  private neededBytes = 0;

  constructor(
    private readonly maxFrameBytes: number,
    private readonly onFrame: FrameHandler,
  ) {}

  /** Feeds bytes; returns an error text when a frame is too large (the connection must end with FRAME_SIZE_ERROR). */
  push(chunk: Buffer): string | undefined {
    let data = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.neededBytes === 0 && this.pendingBytes >= FRAME_HEADER_BYTES) {
        const joined = Buffer.concat(this.pending, this.pendingBytes);
        this.pending = [joined];
        this.neededBytes = FRAME_HEADER_BYTES + joined.readUIntBE(0, 3);
        if (this.neededBytes - FRAME_HEADER_BYTES > this.maxFrameBytes) return `frame of ${this.neededBytes - FRAME_HEADER_BYTES} bytes, above the ${this.maxFrameBytes} allowed`;
      }
      if (this.neededBytes === 0 || this.pendingBytes < this.neededBytes) return undefined;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      this.neededBytes = 0;
    }
    let pos = 0;
    while (data.length - pos >= FRAME_HEADER_BYTES) {
      const length = data.readUIntBE(pos, 3);
      if (length > this.maxFrameBytes) return `frame of ${length} bytes, above the ${this.maxFrameBytes} allowed`;
      const end = pos + FRAME_HEADER_BYTES + length;
      if (end > data.length) break;
      const type = data[pos + 3] as number;
      const flags = data[pos + 4] as number;
      const streamId = data.readUInt32BE(pos + 5) & 0x7fff_ffff;
      this.onFrame(type, flags, streamId, data.subarray(pos + FRAME_HEADER_BYTES, end));
      pos = end;
    }
    if (pos < data.length) {
      const rest = data.subarray(pos);
      this.pending = [rest];
      this.pendingBytes = rest.length;
      this.neededBytes = rest.length >= FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + rest.readUIntBE(0, 3) : 0;
      if (this.neededBytes - FRAME_HEADER_BYTES > this.maxFrameBytes) return `frame of ${this.neededBytes - FRAME_HEADER_BYTES} bytes, above the ${this.maxFrameBytes} allowed`;
    }
    return undefined;
  }
}

/** One frame: header and payload in one buffer. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer | undefined): Buffer {
  const length = payload?.length ?? 0;
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + length);
  writeFrameHeader(out, 0, length, type, flags, streamId);
  if (payload !== undefined) payload.copy(out, FRAME_HEADER_BYTES);
  return out;
}

export function writeFrameHeader(out: Buffer, pos: number, length: number, type: number, flags: number, streamId: number): void {
  out.writeUIntBE(length, pos, 3);
  out[pos + 3] = type;
  out[pos + 4] = flags;
  out.writeUInt32BE(streamId, pos + 5);
}

export function settingsFrame(settings: readonly (readonly [number, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

export function windowUpdateFrame(streamId: number, increment: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FrameType.WINDOW_UPDATE, 0, streamId);
  out.writeUInt32BE(increment, FRAME_HEADER_BYTES);
  return out;
}

export function rstStreamFrame(streamId: number, errorCode: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 4);
  writeFrameHeader(out, 0, 4, FrameType.RST_STREAM, 0, streamId);
  out.writeUInt32BE(errorCode, FRAME_HEADER_BYTES);
  return out;
}

export function goawayFrame(lastStreamId: number, errorCode: number, debug: string): Buffer {
  const text = Buffer.from(debug, 'utf8');
  const payload = Buffer.allocUnsafe(8 + text.length);
  payload.writeUInt32BE(lastStreamId, 0);
  payload.writeUInt32BE(errorCode, 4);
  text.copy(payload, 8);
  return frame(FrameType.GOAWAY, 0, 0, payload);
}
