// The client's side of the pick socket (src/runtime/pick-socket/pick-frames.ts): lbx send's picks over a bare TCP
// connection to the LB's port, the picks of two event-loop turns in one frame, each settled once by its reply, the
// connection failing, or a deadline. An LB that does not answer the preface with its own (an lbx LB from before the
// pick socket) gets this client's picks on its gRPC pick stream instead: `fallback`, for the rest of the run.
import net from 'node:net';

import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { TurnBatcher } from '../grpc/turn-batcher.js';
import {
  FrameCursor,
  FrameError,
  FrameReader,
  FrameWriter,
  LbFrameType,
  MAX_PICKS_PER_FRAME,
  MAX_SOCKET_REQUEST_ID,
  matchPreface,
  PICK_SOCKET_PREFACE,
  readReply,
  writePicksFrame,
  type SocketDone,
  type SocketPick,
  type SocketReply,
} from '../pick-socket/pick-frames.js';
import { PendingPicks, type Picks, type StreamedPick } from './pending-picks.js';
import { callError } from '../grpc/unary.js';

/**
 * The largest REPLIES frame an LB can send: a full batch, every pick refused with a message as long as its u16 length
 * allows (a pick's id, status and message length take 7 bytes). Past it the LB is broken, not busy.
 */
const MAX_REPLY_FRAME_BYTES = 3 + MAX_PICKS_PER_FRAME * (7 + 0xffff);
/** The event-loop turns a pick waits to go out in (see `outbox`). */
const PICK_FLUSH_TURNS = 2;

/** One TCP connection's state: the LB's address refs and the policy it announced, both per connection. */
interface Connection {
  readonly socket: net.Socket;
  readonly reader: FrameReader;
  readonly addresses: string[];
  greeting: Buffer | undefined;
  policy: string;
}

export class SocketPickStream implements Picks {
  private connection: Connection | undefined;
  private readonly pending: PendingPicks;
  private readonly writer = new FrameWriter();
  /**
   * Picks go out a turn after the one that made them: answers from the other backends arrive in between and their
   * tasks' next picks join the frame, so the client and the LB make fewer writes and wake-ups per pick (a turn
   * usually held one backend's answers: about 13 picks a write before, by `strace -c`).
   * Look-aside `send` against the same 4 backends, arms alternated (2026-12-07): 28,200–28,600 against 26,200–26,600
   * tasks/s, LB 3.8–4.8 against 4.5–5.2 µs and client 36–37 against 40 µs of CPU per task.
   */
  private readonly outbox = new TurnBatcher<SocketPick>(MAX_PICKS_PER_FRAME, (chunks) => this.flush(chunks), PICK_FLUSH_TURNS);
  /** Picks made while the connection's preface is not yet answered (waited for in `pending` all the same, deadline and all). */
  private held: SocketPick[] = [];
  /** Ends of earlier picks, sent with the next frame. */
  private doneReports: SocketDone[] = [];
  // Never reset while ids last, even when the connection is reopened, so a late report can never match a new pick.
  private nextRequestId = 1;
  private isUnsupported = false;
  private isClosed = false;
  private fallbackPicks: Picks | undefined;

  /** `makeFallback`: the LB's gRPC pick stream, made when (if ever) the LB turns out to have no pick socket. */
  constructor(
    private readonly host: string,
    private readonly port: number,
    timeoutMs: number,
    private readonly makeFallback: () => Picks,
  ) {
    this.pending = new PendingPicks(timeoutMs, (error) => this.fail(error));
  }

  pick(taskType: number, key: string, exclude: readonly string[]): Promise<StreamedPick> {
    if (this.isUnsupported) return this.fallback().pick(taskType, key, exclude);
    if (this.isClosed) return Promise.reject(callError(GrpcStatus.CANCELLED, 'pick socket closed by the client'));
    if (this.nextRequestId > MAX_SOCKET_REQUEST_ID) {
      this.nextRequestId = 1;
      this.fail(callError(GrpcStatus.UNAVAILABLE, 'pick socket: request ids used up; reconnecting'));
    }
    const connection = this.connection ?? this.open();
    const pick: SocketPick = { requestId: this.nextRequestId, taskType, key, exclude: exclude.length === 0 ? exclude : [...exclude] };
    this.nextRequestId += 1;
    const picked = this.pending.add(pick.requestId);
    if (connection.greeting !== undefined) this.held.push(pick);
    else this.outbox.push(pick);
    return picked;
  }

  reportDone(requestId: number, latencyMs: number, ok: boolean, statusCode = 0): void {
    this.doneReports.push({ requestId, latencyMs, ok, statusCode });
  }

  close(): void {
    this.isClosed = true;
    this.fail(callError(GrpcStatus.CANCELLED, 'pick socket closed by the client'));
    this.fallbackPicks?.close();
  }

  private fallback(): Picks {
    this.fallbackPicks ??= this.makeFallback();
    return this.fallbackPicks;
  }

  private open(): Connection {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    const connection: Connection = { socket, reader: new FrameReader(MAX_REPLY_FRAME_BYTES), addresses: [], greeting: Buffer.alloc(0), policy: '' };
    this.connection = connection;
    socket.write(PICK_SOCKET_PREFACE);
    socket.on('data', (chunk: Buffer) => {
      if (this.connection === connection) this.read(connection, chunk);
    });
    // The connection broke (LB gone, restarted): fail what is waiting; the next pick opens a new one.
    socket.on('error', (error) => {
      if (this.connection === connection) this.fail(callError(GrpcStatus.UNAVAILABLE, `pick socket to ${this.host}:${this.port}: ${error.message}`));
    });
    socket.on('close', () => {
      if (this.connection === connection) this.fail(callError(GrpcStatus.UNAVAILABLE, 'the LB closed the pick socket'));
    });
    return connection;
  }

  private read(connection: Connection, chunk: Buffer): void {
    let data = chunk;
    if (connection.greeting !== undefined) {
      const seen = Buffer.concat([connection.greeting, chunk]);
      const preface = matchPreface(seen);
      if (preface === 'too short') {
        connection.greeting = seen;
        return;
      }
      if (preface === 'no') return this.unsupported();
      connection.greeting = undefined;
      this.releaseHeld();
      data = seen.subarray(PICK_SOCKET_PREFACE.length);
    }
    try {
      connection.reader.push(data, (body) => {
        if (this.connection === connection) this.onFrame(connection, new FrameCursor(body));
      });
    } catch (error) {
      this.fail(callError(GrpcStatus.INTERNAL, `pick socket: the LB sent ${error instanceof FrameError ? error.message : String(error)}`));
    }
  }

  private onFrame(connection: Connection, cursor: FrameCursor): void {
    switch (cursor.type) {
      case LbFrameType.Replies:
        for (let count = cursor.u16('the reply count'); count > 0; count -= 1) this.settle(connection, readReply(cursor));
        return cursor.end('REPLIES');
      case LbFrameType.Address:
        connection.addresses[cursor.u16('an address ref')] = cursor.string('an address');
        return cursor.end('ADDRESS');
      case LbFrameType.Policy:
        connection.policy = cursor.string('a policy name', 1);
        return cursor.end('POLICY');
      case LbFrameType.Close: {
        const code = cursor.u8('a close status code');
        return this.fail(callError(code === 0 ? GrpcStatus.UNAVAILABLE : code, cursor.string('a close message')));
      }
      default:
        throw new FrameError(`a frame of unknown type ${cursor.type}`);
    }
  }

  private settle(connection: Connection, reply: SocketReply): void {
    if (reply.statusCode !== 0) return this.pending.settle(reply.requestId, callError(reply.statusCode, reply.message || 'empty reply'));
    const address = connection.addresses[reply.addressRef];
    if (address === undefined) throw new FrameError(`a reply with address ref ${reply.addressRef}, which it never sent`);
    // The policy's name rides on the first pick after the LB announced it, as on the gRPC stream.
    const policy = connection.policy;
    connection.policy = '';
    this.pending.settle(reply.requestId, { address, policy, requestId: reply.requestId, source: this });
  }

  private flush(chunks: SocketPick[][]): void {
    const connection = this.connection;
    if (connection === undefined) return;
    for (const picks of chunks) {
      writePicksFrame(this.writer, this.doneReports, picks);
      this.doneReports = [];
    }
    connection.socket.write(this.writer.take());
  }

  /** The preface was answered: the picks held for it go out with this turn's. */
  private releaseHeld(): void {
    const held = this.held;
    this.held = [];
    for (const pick of held) this.outbox.push(pick);
  }

  /** The LB answered the preface with something else (its HTTP/2 settings): it has no pick socket; gRPC from now on. */
  private unsupported(): void {
    this.isUnsupported = true;
    const held = this.held;
    this.held = [];
    this.connection?.socket.destroy();
    this.connection = undefined;
    const settle = (requestId: number, outcome: StreamedPick | ServiceError): void => this.pending.settle(requestId, outcome);
    for (const pick of held) {
      this.fallback()
        .pick(pick.taskType, pick.key, pick.exclude)
        .then(
          (picked) => settle(pick.requestId, picked),
          (error: ServiceError) => settle(pick.requestId, error),
        );
    }
  }

  private fail(error: ServiceError): void {
    const connection = this.connection;
    this.connection = undefined;
    this.outbox.discard();
    // The LB ends a closed connection's outstanding picks itself; these reports have nowhere to go.
    this.doneReports = [];
    this.held = [];
    this.pending.failAll(error);
    connection?.socket.destroy();
  }
}
