// The call objects the lean server hands to handlers: the parts of grpc-js's ServerUnaryCall, ServerWritableStream and
// ServerDuplexStream that lbx's handlers use, so one handler serves on either server. As in grpc-js, a streaming call
// is an object-mode Duplex: `write` returns false while HTTP/2's windows hold answers back ('drain' follows), reads
// pause the peer through flow control, `emit('error', { code, details })` ends the call with that status, and
// 'cancelled' tells of a peer that went away or a deadline that passed.
import { EventEmitter } from 'node:events';
import { Duplex } from 'node:stream';

import { Status } from '../status.js';
import type { LeanMetadata } from './lean-metadata.js';

/** What a call does on its HTTP/2 stream (lean-server-connection.ts). */
export interface CallSink {
  /** Sends one response message; `done` once HTTP/2 has taken it (its windows allowed it) or the stream is gone. */
  send(message: Buffer, done: () => void): void;
  /** Ends the call with a status; after the first, later ones do nothing. */
  finish(code: number, details: string): void;
  /** The handler took what it was given: request bytes held back may be credited to the peer. */
  resume(): void;
}

/** The status a handler's error stands for: its code when it has one (a status error), else UNKNOWN with its message. */
export function statusOfError(error: unknown): { code: number; details: string } {
  const shaped = (error ?? {}) as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof shaped.code === 'number' ? shaped.code : Status.UNKNOWN;
  const details = typeof shaped.details === 'string' ? shaped.details : typeof shaped.message === 'string' ? shaped.message : String(error);
  return { code, details };
}

export class LeanUnaryCall<Request> extends EventEmitter {
  cancelled = false;

  constructor(
    readonly request: Request,
    readonly metadata: LeanMetadata,
    private readonly peer: string,
    private readonly deadline: Date | number,
  ) {
    super();
  }

  getPeer(): string {
    return this.peer;
  }

  getDeadline(): Date | number {
    return this.deadline;
  }

  /** The peer went away or the deadline passed: the answer will not be sent. */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
  }
}

export class LeanStreamCall<Request, Response> extends Duplex {
  cancelled = false;
  /** The request of a server-streaming call (a bidirectional one reads its requests instead). */
  request: Request | undefined;

  constructor(
    readonly metadata: LeanMetadata,
    private readonly sink: CallSink,
    private readonly serialize: (value: Response) => Buffer,
    private readonly peer: string,
    private readonly deadline: Date | number,
  ) {
    super({ objectMode: true });
    // Registered first, as grpc-js does: a handler's emit('error', status) ends the call with that status.
    this.on('error', (error: unknown) => {
      const { code, details } = statusOfError(error);
      this.sink.finish(code, details);
    });
  }

  getPeer(): string {
    return this.peer;
  }

  getDeadline(): Date | number {
    return this.deadline;
  }

  override _write(value: Response, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    let bytes: Buffer;
    try {
      bytes = this.serialize(value);
    } catch (error) {
      done();
      this.sink.finish(Status.INTERNAL, `cannot encode the response: ${statusOfError(error).details}`);
      return;
    }
    this.sink.send(bytes, () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.sink.finish(Status.OK, '');
    done();
  }

  override _read(): void {
    this.sink.resume();
  }

  /** The peer went away or the deadline passed: 'cancelled', then the stream is destroyed (writes go nowhere). */
  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.emit('cancelled', 'cancelled');
    this.destroy();
  }
}
