// gRPC's length-prefixed messages (gRPC over HTTP/2, "Length-Prefixed-Message"): one flag byte (1 = compressed), a
// 4-byte big-endian length, the bytes. Cut from DATA frames that may split or join them, and framed for sending.
export const MESSAGE_PREFIX_BYTES = 5;

/** Why a stream's bytes are not a message sequence this endpoint takes; `code` is the gRPC status to answer with. */
export interface MessageRefusal {
  readonly code: 'RESOURCE_EXHAUSTED' | 'UNIMPLEMENTED';
  readonly message: string;
}

/** Cuts a stream's DATA into messages. Each message is a fresh buffer: decoded bytes fields may keep it. */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Bytes received but not yet a whole message (an unfinished one when the stream ends is a broken peer). */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Adds DATA; the messages it completes go to `onMessage`, in order. A refusal ends the reading for good. */
  push(data: Buffer, onMessage: (message: Buffer) => void): MessageRefusal | undefined {
    if (data.length === 0) return undefined;
    this.pending.push(data);
    this.pendingBytes += data.length;
    while (this.pendingBytes >= MESSAGE_PREFIX_BYTES) {
      const head = this.peekPrefix();
      if (head.isCompressed) return { code: 'UNIMPLEMENTED', message: 'a compressed message: this server takes identity encoding only (grpc-accept-encoding: identity)' };
      if (head.length > this.maxMessageBytes) {
        return { code: 'RESOURCE_EXHAUSTED', message: `a request message of ${head.length} bytes: this server takes at most ${this.maxMessageBytes}` };
      }
      if (this.pendingBytes < MESSAGE_PREFIX_BYTES + head.length) return undefined;
      onMessage(this.take(MESSAGE_PREFIX_BYTES + head.length).subarray(MESSAGE_PREFIX_BYTES));
    }
    return undefined;
  }

  private peekPrefix(): { isCompressed: boolean; length: number } {
    const first = this.pending[0] as Buffer;
    const prefix = first.length >= MESSAGE_PREFIX_BYTES ? first : Buffer.concat(this.pending, MESSAGE_PREFIX_BYTES);
    return { isCompressed: prefix[0] !== 0, length: prefix.readUInt32BE(1) };
  }

  /** The first `bytes` pending bytes as a new buffer. */
  private take(bytes: number): Buffer {
    const out = Buffer.allocUnsafe(bytes);
    let at = 0;
    while (at < bytes) {
      const chunk = this.pending[0] as Buffer;
      const used = Math.min(chunk.length, bytes - at);
      chunk.copy(out, at, 0, used);
      at += used;
      if (used === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(used);
    }
    this.pendingBytes -= bytes;
    return out;
  }
}

/** A message with its prefix, uncompressed. */
export function frameMessage(message: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(MESSAGE_PREFIX_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  framed.set(message, MESSAGE_PREFIX_BYTES);
  return framed;
}
