// The LB's side of one pick socket (src/runtime/pick-socket/pick-frames.ts): frames of picks in, frames of replies out,
// decided and tracked exactly as on GetServerBatchStream (PickAnswerer), within TCP's flow control.
//
// A client that writes picks and never reads the replies must not make the LB buffer them without bound: when the
// socket will not take more (write() returns false) the session stops reading until it drains, so TCP holds the client
// back; past maxPendingBytes of replies not yet flushed the session ends with RESOURCE_EXHAUSTED. A frame that does not
// parse ends it with INVALID_ARGUMENT; a pick whose fields are wrong is refused in-band, as on the gRPC stream.
import type net from 'node:net';

import { status as GrpcStatus } from '@grpc/grpc-js';

import { formatHostPort } from '../../core/host-port.js';
import type { GetServerRequest, PickDone } from '../wire/gen/lbx/v1/load_balancer.js';
import {
  ClientFrameType,
  FrameCursor,
  FrameError,
  FrameReader,
  FrameWriter,
  LbFrameType,
  MAX_ADDRESS_REFS,
  MAX_PICK_FRAME_BYTES,
  PICK_SOCKET_PREFACE,
  readPicksFrame,
  writeCloseFrame,
  writeReply,
  type SocketPick,
} from '../pick-socket/pick-frames.js';
import { PickAnswerer, type PickStreamOptions } from './pick-answerer.js';

/** Reply bytes written and not yet flushed, at most (about 20,000 replies): see the file's comment. */
export const MAX_PENDING_REPLY_BYTES = 256 * 1024;

export class PickSocketSession {
  private readonly answerer: PickAnswerer;
  private readonly reader = new FrameReader(MAX_PICK_FRAME_BYTES);
  private readonly writer = new FrameWriter();
  /** The ref each address was sent under on this connection. */
  private readonly addressRefs = new Map<string, number>();
  private isClosed = false;

  /** `initial`: bytes read past the preface while the connection was told apart from HTTP/2. */
  constructor(
    private readonly socket: net.Socket,
    options: PickStreamOptions,
    initial: Buffer,
    private readonly onClose: (session: PickSocketSession) => void = () => undefined,
    private readonly maxPendingBytes = MAX_PENDING_REPLY_BYTES,
  ) {
    this.answerer = new PickAnswerer(options, formatHostPort(socket.remoteAddress ?? '?', socket.remotePort ?? 0));
    socket.setNoDelay(true);
    socket.write(PICK_SOCKET_PREFACE);
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    socket.on('drain', () => {
      if (!this.isClosed) socket.resume();
    });
    // A client that went away needs nothing more; what it had outstanding is released.
    socket.on('close', () => this.release());
    socket.on('error', () => this.release());
    socket.on('end', () => socket.end());
    if (initial.length > 0) this.read(initial);
  }

  /** Ends the session with `code` (the LB is stopping: UNAVAILABLE); the client fails what it waits for with it. */
  close(code: GrpcStatus, message: string): void {
    if (this.isClosed) return;
    writeCloseFrame(this.writer, code, message);
    this.socket.end(this.writer.take());
    this.release();
  }

  private release(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.answerer.releaseAll();
    this.onClose(this);
  }

  /**
   * The replies to every frame in `chunk` go out in one write: a client's frames arrive several to a read (its turns'
   * flushes queue up while the LB works), and a write per frame made 2.1 writes a read on average (by strace; issue 14).
   */
  private read(chunk: Buffer): void {
    if (this.isClosed) return;
    try {
      this.reader.push(chunk, (body) => {
        if (!this.isClosed) this.onFrame(new FrameCursor(body));
      });
      if (!this.isClosed && !this.writer.isEmpty) this.flush();
    } catch (error) {
      if (error instanceof FrameError) this.close(GrpcStatus.INVALID_ARGUMENT, `pick socket: ${error.message}`);
      else this.close(GrpcStatus.INTERNAL, `pick socket: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private onFrame(cursor: FrameCursor): void {
    if (cursor.type !== ClientFrameType.Picks) throw new FrameError(`unknown frame type ${cursor.type}: expected PICKS (${ClientFrameType.Picks})`);
    const { dones, picks } = readPicksFrame(cursor);
    this.answerer.ended(dones);
    const replies = picks.map((pick) => this.answerer.answer(toRequest(pick)));
    const policy = replies.find((reply) => reply.server !== undefined && reply.server.policy !== '')?.server?.policy;
    if (policy !== undefined) this.writer.beginFrame(LbFrameType.Policy).string(policy, 1).endFrame();
    for (const reply of replies) if (reply.server !== undefined) this.announce(reply.server.address);
    if (this.isClosed) return;
    this.writer.beginFrame(LbFrameType.Replies).u16(replies.length);
    for (const reply of replies) {
      const address = reply.server?.address;
      writeReply(this.writer, {
        requestId: reply.requestId,
        statusCode: reply.statusCode,
        addressRef: address === undefined ? 0 : (this.addressRefs.get(address) ?? 0),
        message: reply.statusMessage,
      });
    }
    this.writer.endFrame();
  }

  /** Gives `address` a ref and sends it (an ADDRESS frame ahead of the replies) the first time a reply uses it. */
  private announce(address: string): void {
    if (this.addressRefs.has(address)) return;
    const ref = this.addressRefs.size;
    if (ref >= MAX_ADDRESS_REFS) return this.close(GrpcStatus.RESOURCE_EXHAUSTED, `pick socket: ${MAX_ADDRESS_REFS} backend addresses on one connection; open a new one`);
    this.addressRefs.set(address, ref);
    this.writer.beginFrame(LbFrameType.Address).u16(ref).string(address).endFrame();
  }

  private flush(): void {
    const isFlowing = this.socket.write(this.writer.take());
    if (this.socket.writableLength > this.maxPendingBytes) {
      this.close(
        GrpcStatus.RESOURCE_EXHAUSTED,
        `pick socket closed: ${this.socket.writableLength} bytes of replies are waiting for this client to read them (at most ${this.maxPendingBytes}); read the replies, or open fewer picks at once`,
      );
    } else if (!isFlowing) this.socket.pause();
  }
}

/** A socket pick as the decision reads it: a stream's pick carries no client id, and its ends came with the frame. */
const NO_DONES: PickDone[] = [];
const toRequest = (pick: SocketPick): GetServerRequest => ({
  clientId: '',
  taskType: pick.taskType,
  key: pick.key,
  exclude: pick.exclude as string[],
  requestId: pick.requestId,
  done: NO_DONES,
});
