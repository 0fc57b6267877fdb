// One HTTP/2 connection spoken directly over a socket, for the relay: frames, HPACK, settings, PING and flow control, with no per-stream objects beyond a small record.
//
// The relay only moves calls between connections, so this is deliberately not a full endpoint:
// it never pushes, never prioritises and never indexes headers. What it does do completely is
// the bookkeeping a peer relies on: every DATA byte received is counted against the windows it
// advertised and credited back only once the relay has passed it on (`credit`), and every byte
// sent waits for the peer's windows (queued per stream, in order with the stream's trailers).
import type { Socket } from 'node:net';

import {
  CONNECTION_PREFACE,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_WINDOW_BYTES,
  ErrorCode,
  Flag,
  FRAME_HEADER_BYTES,
  FrameReader,
  FrameType,
  goawayFrame,
  MAX_WINDOW_BYTES,
  rstStreamFrame,
  Setting,
  settingsFrame,
  windowUpdateFrame,
  writeFrameHeader,
} from './h2-frames.js';
import { errorText } from './error-text.js';
import { encodeHeaderBlock, HpackDecoder, HpackError, type HeaderList } from './hpack.js';

export type H2Role = 'server' | 'client';

/** Frames one header block may span: a 64 KB block needs 5 of 16 KB. */
const MAX_CONTINUATION_FRAMES = 32;
/**
 * Output the socket may hold before the connection stops reading its peer: DATA is bounded by the
 * peer's windows, but the answers to its control frames (PING, SETTINGS) and refusals are not.
 */
const MAX_UNSENT_OUTPUT_BYTES = 8 * 1024 * 1024;

/**
 * HTTP/2 rapid reset (CVE-2023-44487): a client opens streams and resets them at once, so the server starts work for
 * each (the relay: a pick and an upstream stream) on calls gone before they begin, without ever exceeding its stream
 * limit. As Envoy does, once a client has opened RAPID_RESET_MIN_STREAMS streams on a connection, more than half of them
 * reset by it within RAPID_RESET_WINDOW_MS of opening ends the connection with GOAWAY (ENHANCE_YOUR_CALM). A client that
 * cancels the losing attempt of every hedge resets half: it stays.
 */
const RAPID_RESET_MIN_STREAMS = 500;
const RAPID_RESET_WINDOW_MS = 1_000;

/** How long a connection that was ended waits for its last frames to be read before the socket is cut. */
const FAILED_SOCKET_LINGER_MS = 1_000;

/** What the connection reports; stream ids are this connection's own. */
export interface H2ConnectionEvents {
  /** A header block: a new stream (`isNewStream`: the client opened it, server role), response headers, or trailers. */
  onHeaders(streamId: number, headers: HeaderList, isEndStream: boolean, isNewStream: boolean): void;
  /** DATA (padding removed); the receiver calls credit(streamId, data.length) once it has passed the bytes on. */
  onData(streamId: number, data: Buffer, isEndStream: boolean): void;
  onReset(streamId: number, errorCode: number): void;
  /** The peer takes no stream above `lastStreamId` (client role: those were never processed). */
  onGoaway(lastStreamId: number, errorCode: number): void;
  /**
   * The socket is gone; every stream on it is lost. `reason` is set when it ended in an error; `isPeerFault` when that
   * error was the peer breaking HTTP/2 (a bad frame, a rapid reset), not the socket failing.
   */
  onClose(reason: string | undefined, isPeerFault: boolean): void;
  /** Client role: the peer may take another stream now (its SETTINGS came, or a stream ended). */
  onStreamRoom?(): void;
}

/** Whom to credit once queued DATA has actually been sent: the connection it came from, and its stream there. */
export interface CreditSource {
  credit(streamId: number, bytes: number): void;
}

export interface H2ConnectionOptions {
  readonly role: H2Role;
  /** Per-stream receive window we advertise. */
  readonly streamWindowBytes: number;
  /** Connection receive window we advertise. */
  readonly connectionWindowBytes: number;
  /** Streams the peer may have open at once (server role); more are refused. */
  readonly maxConcurrentStreams: number;
  /** Largest decoded header list accepted (name + value + 32 per field). */
  readonly maxHeaderListBytes: number;
}

interface Queued {
  readonly data: Buffer | undefined;
  readonly headers: Buffer | undefined;
  readonly isEndStream: boolean;
  readonly source: CreditSource | undefined;
  readonly sourceStreamId: number;
}

/** One stream's flow-control state. */
interface StreamRecord {
  sendWindowBytes: number;
  recvWindowBytes: number;
  recvUncreditedBytes: number;
  queue: Queued[] | undefined;
  isLocalEnded: boolean;
  isRemoteEnded: boolean;
  /** performance.now() when the peer opened it (server role), else 0. */
  readonly openedAtMs: number;
}

/** A header block split over HEADERS and CONTINUATION frames, while it is incomplete. */
interface PartialBlock {
  readonly streamId: number;
  readonly isEndStream: boolean;
  chunks: Buffer[];
  bytes: number;
}

export class H2Connection {
  private readonly streams = new Map<number, StreamRecord>();
  private readonly blocked = new Set<number>();
  private readonly decoder = new HpackDecoder();
  private readonly reader: FrameReader;
  private out: Buffer[] = [];
  private isFlushScheduled = false;
  private prefaceBytesLeft: number;
  private prefaceSeen: Buffer[] = [];
  private partial: PartialBlock | undefined;
  private sendWindowBytes = DEFAULT_WINDOW_BYTES;
  private recvWindowBytes: number;
  private recvUncreditedBytes = 0;
  private peerInitialWindowBytes = DEFAULT_WINDOW_BYTES;
  private peerMaxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  /** Streams the peer takes at once (its SETTINGS_MAX_CONCURRENT_STREAMS; unlimited until it says). */
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private hasPeerSettings = false;
  private lastPeerStreamId = 0;
  /** Streams the peer opened (server role) and, of them, those it reset soon after: see RAPID_RESET_MIN_STREAMS. */
  private peerStreamsOpened = 0;
  private peerStreamsResetEarly = 0;
  private nextStreamId = 1;
  private isClosed = false;
  /** Set once either side sent GOAWAY: no new streams. */
  isGoingAway = false;

  constructor(
    readonly socket: Socket,
    private readonly options: H2ConnectionOptions,
    private readonly events: H2ConnectionEvents,
  ) {
    this.reader = new FrameReader(DEFAULT_MAX_FRAME_BYTES, (type, flags, streamId, payload) => this.onFrame(type, flags, streamId, payload));
    this.recvWindowBytes = options.connectionWindowBytes;
    this.prefaceBytesLeft = options.role === 'server' ? CONNECTION_PREFACE.length : 0;
    if (options.role === 'client') this.queueBytes(CONNECTION_PREFACE);
    const settings: [number, number][] = [
      [Setting.HEADER_TABLE_SIZE, 0],
      [Setting.INITIAL_WINDOW_SIZE, options.streamWindowBytes],
      [Setting.MAX_HEADER_LIST_SIZE, options.maxHeaderListBytes],
    ];
    if (options.role === 'client') settings.push([Setting.ENABLE_PUSH, 0]);
    else settings.push([Setting.MAX_CONCURRENT_STREAMS, options.maxConcurrentStreams]);
    this.queueBytes(settingsFrame(settings));
    this.queueBytes(windowUpdateFrame(0, options.connectionWindowBytes - DEFAULT_WINDOW_BYTES));
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('error', (error) => this.close(errorText(error), false));
    socket.on('close', () => this.close(undefined, false));
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** Whether the peer takes one more stream now (client role): its SETTINGS have come (with its stream limit), and the limit is not reached. */
  get hasStreamRoom(): boolean {
    return this.hasPeerSettings && this.streams.size < this.peerMaxStreams;
  }

  /** Opens a stream (client role) and sends its headers. */
  openStream(headers: HeaderList, isEndStream: boolean): number {
    const streamId = this.nextStreamId;
    this.nextStreamId += 2;
    this.streams.set(streamId, this.newRecord());
    this.sendHeaders(streamId, headers, isEndStream);
    return streamId;
  }

  /** Ids this connection can still open before it should be replaced. */
  get streamIdsLeft(): number {
    return Math.floor((MAX_WINDOW_BYTES - this.nextStreamId) / 2);
  }

  sendHeaders(streamId: number, headers: HeaderList, isEndStream: boolean): void {
    const record = this.streams.get(streamId);
    if (record === undefined || record.isLocalEnded) return;
    const block = encodeHeaderBlock(headers);
    if (record.queue !== undefined) {
      record.queue.push({ data: undefined, headers: block, isEndStream, source: undefined, sourceStreamId: 0 });
      return;
    }
    this.writeHeaderBlock(streamId, block, isEndStream);
    if (isEndStream) this.endLocal(streamId, record);
  }

  /** Sends DATA as the windows allow, the rest queued; `source` is credited as bytes go out. */
  sendData(streamId: number, data: Buffer, isEndStream: boolean, source?: CreditSource, sourceStreamId = 0): void {
    const record = this.streams.get(streamId);
    if (record === undefined || record.isLocalEnded) {
      source?.credit(sourceStreamId, data.length);
      return;
    }
    if (record.queue === undefined && data.length <= Math.min(record.sendWindowBytes, this.sendWindowBytes)) {
      this.writeData(streamId, record, data, isEndStream);
      source?.credit(sourceStreamId, data.length);
      return;
    }
    (record.queue ??= []).push({ data, headers: undefined, isEndStream, source, sourceStreamId });
    this.blocked.add(streamId);
    this.flushStream(streamId, record);
  }

  sendReset(streamId: number, errorCode: number): void {
    if (!this.dropStream(streamId)) return;
    this.queueBytes(rstStreamFrame(streamId, errorCode));
  }

  /** The receiver passed on `bytes` of a stream's DATA: the windows reopen, in batches of half a window. */
  credit(streamId: number, bytes: number): void {
    if (this.isClosed || bytes === 0) return;
    this.recvUncreditedBytes += bytes;
    if (this.recvUncreditedBytes >= this.options.connectionWindowBytes / 2) {
      this.queueBytes(windowUpdateFrame(0, this.recvUncreditedBytes));
      this.recvWindowBytes += this.recvUncreditedBytes;
      this.recvUncreditedBytes = 0;
    }
    const record = this.streams.get(streamId);
    if (record === undefined || record.isRemoteEnded) return;
    record.recvUncreditedBytes += bytes;
    if (record.recvUncreditedBytes >= this.options.streamWindowBytes / 2) {
      this.queueBytes(windowUpdateFrame(streamId, record.recvUncreditedBytes));
      record.recvWindowBytes += record.recvUncreditedBytes;
      record.recvUncreditedBytes = 0;
    }
  }

  /** Tells the peer no new streams will be taken (server role) or opened (client role); streams under way go on. */
  goaway(errorCode: number, debug = ''): void {
    if (this.isClosed) return;
    this.isGoingAway = true;
    this.queueBytes(goawayFrame(this.lastPeerStreamId, errorCode, debug));
    this.flush();
  }

  /** Ends the connection after what is queued has been written (a graceful stop's last step). */
  end(): void {
    if (this.isClosed) return;
    this.flush();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), FAILED_SOCKET_LINGER_MS).unref();
  }

  /** Ends the connection now; what is still queued is dropped. */
  destroy(): void {
    this.socket.destroy();
    this.close(undefined, false);
  }

  private newRecord(): StreamRecord {
    return {
      sendWindowBytes: this.peerInitialWindowBytes,
      recvWindowBytes: this.options.streamWindowBytes,
      recvUncreditedBytes: 0,
      queue: undefined,
      isLocalEnded: false,
      isRemoteEnded: false,
      openedAtMs: this.options.role === 'server' ? performance.now() : 0,
    };
  }

  private onBytes(chunk: Buffer): void {
    if (this.isClosed) return;
    let data = chunk;
    if (this.prefaceBytesLeft > 0) {
      const take = Math.min(this.prefaceBytesLeft, data.length);
      this.prefaceSeen.push(data.subarray(0, take));
      this.prefaceBytesLeft -= take;
      data = data.subarray(take);
      if (this.prefaceBytesLeft > 0) return;
      if (!Buffer.concat(this.prefaceSeen).equals(CONNECTION_PREFACE)) return this.fail(ErrorCode.PROTOCOL_ERROR, 'the client did not start with the HTTP/2 connection preface');
      this.prefaceSeen = [];
    }
    const tooLarge = this.reader.push(data);
    if (tooLarge !== undefined) this.fail(ErrorCode.FRAME_SIZE_ERROR, tooLarge);
  }

  private onFrame(type: number, flags: number, streamId: number, payload: Buffer): void {
    if (this.isClosed) return;
    if (this.partial !== undefined && (type !== FrameType.CONTINUATION || streamId !== this.partial.streamId)) {
      return this.fail(ErrorCode.PROTOCOL_ERROR, 'a header block was interrupted by another frame');
    }
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(flags, streamId, payload);
      case FrameType.HEADERS:
        return this.onHeadersFrame(flags, streamId, payload);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, streamId, payload);
      case FrameType.RST_STREAM:
        return this.onResetFrame(streamId, payload);
      case FrameType.SETTINGS:
        return this.onSettings(flags, streamId, payload);
      case FrameType.PING:
        if (payload.length !== 8 || streamId !== 0) return this.fail(ErrorCode.PROTOCOL_ERROR, 'malformed PING');
        if ((flags & Flag.ACK) === 0) this.queueFrame(FrameType.PING, Flag.ACK, 0, payload);
        return;
      case FrameType.GOAWAY:
        return this.onGoawayFrame(payload);
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, payload);
      case FrameType.PUSH_PROMISE:
        return this.fail(ErrorCode.PROTOCOL_ERROR, 'PUSH_PROMISE although push is disabled');
      default:
        // PRIORITY and unknown frame types are ignored (RFC 9113, sections 5.5 and 6.3).
        return;
    }
  }

  private onDataFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    this.recvWindowBytes -= payload.length;
    if (this.recvWindowBytes < 0) return this.fail(ErrorCode.FLOW_CONTROL_ERROR, 'DATA beyond the connection window');
    const data = unpad(flags, payload);
    const record = this.streams.get(streamId);
    if (data === undefined) return this.fail(ErrorCode.PROTOCOL_ERROR, 'DATA padding longer than the frame');
    const paddingBytes = payload.length - data.length;
    if (record === undefined || record.isRemoteEnded) {
      // A stream already reset or ended: its bytes still count against the connection window.
      this.credit(0, payload.length);
      if (streamId > this.lastPeerStreamId && this.options.role === 'server') return this.fail(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      return;
    }
    record.recvWindowBytes -= payload.length;
    if (record.recvWindowBytes < 0) {
      this.credit(0, payload.length);
      this.sendReset(streamId, ErrorCode.FLOW_CONTROL_ERROR);
      return this.events.onReset(streamId, ErrorCode.FLOW_CONTROL_ERROR);
    }
    const isEndStream = (flags & Flag.END_STREAM) !== 0;
    if (isEndStream) this.endRemote(streamId, record);
    if (paddingBytes > 0) this.credit(streamId, paddingBytes);
    this.events.onData(streamId, data, isEndStream);
  }

  private onHeadersFrame(flags: number, streamId: number, payload: Buffer): void {
    if (streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, 'HEADERS on stream 0');
    let fragment = unpad(flags, payload);
    if (fragment === undefined) return this.fail(ErrorCode.PROTOCOL_ERROR, 'HEADERS padding longer than the frame');
    if ((flags & Flag.PRIORITY) !== 0) fragment = fragment.subarray(5);
    const isEndStream = (flags & Flag.END_STREAM) !== 0;
    if ((flags & Flag.END_HEADERS) === 0) {
      this.partial = { streamId, isEndStream, chunks: [Buffer.from(fragment)], bytes: fragment.length };
      return;
    }
    this.onHeaderBlock(streamId, fragment, isEndStream);
  }

  private onContinuation(flags: number, streamId: number, payload: Buffer): void {
    const partial = this.partial;
    if (partial === undefined) return this.fail(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    partial.chunks.push(Buffer.from(payload));
    partial.bytes += payload.length;
    if (partial.bytes > this.options.maxHeaderListBytes) return this.fail(ErrorCode.ENHANCE_YOUR_CALM, `header block above ${this.options.maxHeaderListBytes} bytes`);
    // Empty CONTINUATION frames add no bytes: their count is bounded on its own.
    if (partial.chunks.length > MAX_CONTINUATION_FRAMES) return this.fail(ErrorCode.ENHANCE_YOUR_CALM, `header block in more than ${MAX_CONTINUATION_FRAMES} frames`);
    if ((flags & Flag.END_HEADERS) === 0) return;
    this.partial = undefined;
    this.onHeaderBlock(streamId, Buffer.concat(partial.chunks), partial.isEndStream);
  }

  private onHeaderBlock(streamId: number, block: Buffer, isEndStream: boolean): void {
    let headers: HeaderList;
    try {
      headers = this.decoder.decode(block, this.options.maxHeaderListBytes);
    } catch (error) {
      if (!(error instanceof HpackError)) throw error;
      return this.fail(ErrorCode.COMPRESSION_ERROR, error.message);
    }
    let record = this.streams.get(streamId);
    const isNewStream = record === undefined;
    if (record === undefined) {
      if (this.options.role === 'client' || streamId <= this.lastPeerStreamId) return; // ended or reset already: the block only kept HPACK in step
      if (streamId % 2 === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, `client opened even stream ${streamId}`);
      this.lastPeerStreamId = streamId;
      if (this.isGoingAway || this.streams.size >= this.options.maxConcurrentStreams) {
        this.queueBytes(rstStreamFrame(streamId, ErrorCode.REFUSED_STREAM));
        return;
      }
      record = this.newRecord();
      this.streams.set(streamId, record);
      this.peerStreamsOpened += 1;
    } else if (record.isRemoteEnded) {
      this.sendReset(streamId, ErrorCode.STREAM_CLOSED);
      return this.events.onReset(streamId, ErrorCode.STREAM_CLOSED);
    }
    if (isEndStream) this.endRemote(streamId, record);
    this.events.onHeaders(streamId, headers, isEndStream, isNewStream);
  }

  private onResetFrame(streamId: number, payload: Buffer): void {
    if (payload.length !== 4 || streamId === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, 'malformed RST_STREAM');
    const record = this.streams.get(streamId);
    if (!this.dropStream(streamId)) return;
    this.events.onReset(streamId, payload.readUInt32BE(0));
    if (this.options.role === 'server' && record !== undefined && performance.now() - record.openedAtMs < RAPID_RESET_WINDOW_MS) this.countEarlyReset();
  }

  private countEarlyReset(): void {
    this.peerStreamsResetEarly += 1;
    if (this.peerStreamsOpened < RAPID_RESET_MIN_STREAMS || this.peerStreamsResetEarly * 2 <= this.peerStreamsOpened) return;
    this.fail(
      ErrorCode.ENHANCE_YOUR_CALM,
      `rapid reset: the client reset ${this.peerStreamsResetEarly} of the ${this.peerStreamsOpened} streams it opened within ${RAPID_RESET_WINDOW_MS} ms of opening them`,
    );
  }

  private onSettings(flags: number, streamId: number, payload: Buffer): void {
    if (streamId !== 0 || payload.length % 6 !== 0) return this.fail(ErrorCode.PROTOCOL_ERROR, 'malformed SETTINGS');
    if ((flags & Flag.ACK) !== 0) return;
    for (let at = 0; at < payload.length; at += 6) {
      const id = payload.readUInt16BE(at);
      const value = payload.readUInt32BE(at + 2);
      if (id === Setting.INITIAL_WINDOW_SIZE) {
        if (value > MAX_WINDOW_BYTES) return this.fail(ErrorCode.FLOW_CONTROL_ERROR, `initial window of ${value} bytes`);
        const delta = value - this.peerInitialWindowBytes;
        this.peerInitialWindowBytes = value;
        for (const record of this.streams.values()) record.sendWindowBytes += delta;
      } else if (id === Setting.MAX_CONCURRENT_STREAMS) {
        this.peerMaxStreams = value;
      } else if (id === Setting.MAX_FRAME_SIZE) {
        if (value < DEFAULT_MAX_FRAME_BYTES || value > 16_777_215) return this.fail(ErrorCode.PROTOCOL_ERROR, `max frame size of ${value} bytes`);
        this.peerMaxFrameBytes = value;
      }
      // HEADER_TABLE_SIZE: nothing is ever indexed here; ENABLE_PUSH: nothing is pushed; the rest bound what we take, not send.
    }
    this.queueFrame(FrameType.SETTINGS, Flag.ACK, 0, undefined);
    this.flushBlocked();
    this.hasPeerSettings = true;
    this.events.onStreamRoom?.();
  }

  private onGoawayFrame(payload: Buffer): void {
    if (payload.length < 8) return this.fail(ErrorCode.PROTOCOL_ERROR, 'malformed GOAWAY');
    this.isGoingAway = true;
    this.events.onGoaway(payload.readUInt32BE(0) & 0x7fff_ffff, payload.readUInt32BE(4));
  }

  private onWindowUpdate(streamId: number, payload: Buffer): void {
    if (payload.length !== 4) return this.fail(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const increment = payload.readUInt32BE(0) & 0x7fff_ffff;
    if (streamId === 0) {
      if (increment === 0) return this.fail(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.sendWindowBytes += increment;
      if (this.sendWindowBytes > MAX_WINDOW_BYTES) return this.fail(ErrorCode.FLOW_CONTROL_ERROR, 'connection window above 2^31 - 1');
      return this.flushBlocked();
    }
    const record = this.streams.get(streamId);
    if (record === undefined) return;
    record.sendWindowBytes += increment;
    if (increment === 0 || record.sendWindowBytes > MAX_WINDOW_BYTES) {
      this.sendReset(streamId, ErrorCode.FLOW_CONTROL_ERROR);
      return this.events.onReset(streamId, ErrorCode.FLOW_CONTROL_ERROR);
    }
    this.flushStream(streamId, record);
  }

  private flushBlocked(): void {
    for (const streamId of this.blocked) {
      const record = this.streams.get(streamId);
      if (record === undefined) this.blocked.delete(streamId);
      else this.flushStream(streamId, record);
      if (this.sendWindowBytes <= 0) return;
    }
  }

  /** Sends what the windows allow of a stream's queue, in order; a DATA item may go in part. */
  private flushStream(streamId: number, record: StreamRecord): void {
    const queue = record.queue;
    while (queue !== undefined && queue.length > 0) {
      const item = queue[0] as Queued;
      if (item.headers !== undefined) {
        queue.shift();
        this.writeHeaderBlock(streamId, item.headers, item.isEndStream);
        if (item.isEndStream) this.endLocal(streamId, record);
        continue;
      }
      const data = item.data as Buffer;
      const allowed = Math.min(record.sendWindowBytes, this.sendWindowBytes);
      if (data.length > 0 && allowed <= 0) return;
      if (data.length > 0 && data.length > allowed) {
        this.writeData(streamId, record, data.subarray(0, allowed), false);
        queue[0] = { ...item, data: data.subarray(allowed) };
        item.source?.credit(item.sourceStreamId, allowed);
        return;
      }
      queue.shift();
      this.writeData(streamId, record, data, item.isEndStream);
      item.source?.credit(item.sourceStreamId, data.length);
    }
    record.queue = undefined;
    this.blocked.delete(streamId);
  }

  private writeData(streamId: number, record: StreamRecord, data: Buffer, isEndStream: boolean): void {
    record.sendWindowBytes -= data.length;
    this.sendWindowBytes -= data.length;
    let at = 0;
    do {
      const piece = data.subarray(at, at + this.peerMaxFrameBytes);
      at += piece.length;
      this.queueFrame(FrameType.DATA, isEndStream && at >= data.length ? Flag.END_STREAM : 0, streamId, piece);
    } while (at < data.length);
    if (isEndStream) this.endLocal(streamId, record);
  }

  private writeHeaderBlock(streamId: number, block: Buffer, isEndStream: boolean): void {
    const endStreamFlag = isEndStream ? Flag.END_STREAM : 0;
    if (block.length <= this.peerMaxFrameBytes) return this.queueFrame(FrameType.HEADERS, endStreamFlag | Flag.END_HEADERS, streamId, block);
    let at = 0;
    while (at < block.length) {
      const piece = block.subarray(at, at + this.peerMaxFrameBytes);
      const isLast = at + piece.length >= block.length;
      this.queueFrame(at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, (at === 0 ? endStreamFlag : 0) | (isLast ? Flag.END_HEADERS : 0), streamId, piece);
      at += piece.length;
    }
  }

  private endLocal(streamId: number, record: StreamRecord): void {
    record.isLocalEnded = true;
    if (record.isRemoteEnded) this.dropStream(streamId);
  }

  private endRemote(streamId: number, record: StreamRecord): void {
    record.isRemoteEnded = true;
    if (record.isLocalEnded) this.dropStream(streamId);
  }

  /** Forgets a stream; false when it was not open. */
  private dropStream(streamId: number): boolean {
    const record = this.streams.get(streamId);
    if (record === undefined) return false;
    this.streams.delete(streamId);
    this.blocked.delete(streamId);
    // Queued DATA will never go: its sources get their windows back.
    for (const item of record.queue ?? []) item.source?.credit(item.sourceStreamId, item.data?.length ?? 0);
    if (!this.isClosed) this.events.onStreamRoom?.();
    return true;
  }

  private queueFrame(type: number, flags: number, streamId: number, payload: Buffer | undefined): void {
    const length = payload?.length ?? 0;
    const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
    writeFrameHeader(header, 0, length, type, flags, streamId);
    this.queueBytes(header);
    if (length > 0) this.queueBytes(payload as Buffer);
  }

  private queueBytes(bytes: Buffer): void {
    if (this.isClosed) return;
    this.out.push(bytes);
    if (this.isFlushScheduled) return;
    this.isFlushScheduled = true;
    setImmediate(this.flushNow);
  }

  private readonly flushNow = (): void => this.flush();

  /**
   * Everything queued in this turn of the event loop goes out in one write, after every socket read
   * of the turn, so responses from several backends read in one turn share one write to their client.
   */
  private flush(): void {
    this.isFlushScheduled = false;
    if (this.out.length === 0 || this.isClosed || this.socket.destroyed) return;
    const bytes = this.out.length === 1 ? (this.out[0] as Buffer) : Buffer.concat(this.out);
    this.out = [];
    this.socket.write(bytes);
    if (this.socket.writableLength > MAX_UNSENT_OUTPUT_BYTES && !this.socket.isPaused()) {
      // A peer that does not read what it asked for is not read either, until it catches up.
      this.socket.pause();
      this.socket.once('drain', () => this.socket.resume());
    }
  }

  /** A connection error: GOAWAY with the code, then the socket ends. */
  private fail(errorCode: number, reason: string): void {
    if (this.isClosed) return;
    this.queueBytes(goawayFrame(this.lastPeerStreamId, errorCode, reason));
    // A peer that never closes its side is not waited for.
    this.end();
    this.close(reason, true);
  }

  private close(reason: string | undefined, isPeerFault: boolean): void {
    if (this.isClosed) return;
    this.isClosed = true;
    // Queued DATA will never go: its sources (other connections) get their windows back.
    for (const streamId of [...this.streams.keys()]) this.dropStream(streamId);
    this.blocked.clear();
    this.events.onClose(reason, isPeerFault);
  }
}

/** The payload without its padding (PADDED flag), or undefined when the padding claims more than there is. */
function unpad(flags: number, payload: Buffer): Buffer | undefined {
  if ((flags & Flag.PADDED) === 0) return payload;
  const padding = payload[0];
  if (padding === undefined || padding >= payload.length) return undefined;
  return payload.subarray(1, payload.length - padding);
}
