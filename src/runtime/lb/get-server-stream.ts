// The GetServerStream and GetServerBatchStream handlers: picks answered in order, within HTTP/2 flow control.
//
// A client that writes picks and never reads the replies must not make the LB buffer them
// without bound (measured before this: 71 → 201 MB over 836k picks). grpc-js hands a
// server stream's replies to HTTP/2, whose window stops sending once the client stops
// reading; write() then returns false. From then the stream's requests are not read
// (pause) until its replies drain, so HTTP/2 flow control holds the client back instead.
// Replies still waiting to be flushed are bounded too: past the bound the stream is closed
// with RESOURCE_EXHAUSTED, as grpc-js would refuse an oversized message.
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';

import type { GetServerBatch, GetServerReply, GetServerReplyBatch, GetServerRequest } from '../wire/gen/lbx/v1/load_balancer.js';
import { isUndecodable } from '../grpc/wide-integers.js';
import { PickAnswerer, type PickStreamOptions } from './pick-answerer.js';

/**
 * Replies written on one stream and not yet flushed to HTTP/2, at most. Reading stops as soon
 * as one is not flushed at once, so only the requests already read when that happens can
 * add to these: a few dozen. lbx's own client keeps at most its concurrency in flight.
 */
export const MAX_PENDING_REPLIES_PER_STREAM = 1_024;
/** Picks one GetServerBatch may carry: more is a broken client, not a busy one. */
export const MAX_PICKS_PER_BATCH = 1_000;

/** One pick stream's state, whichever the framing: the picks it tracks and its flow-controlled replies. */
class PickStreamState<In, Out> {
  private readonly answerer: PickAnswerer;
  private readonly maxPending: number;
  isClosed = false;

  constructor(
    private readonly call: ServerDuplexStream<In, Out>,
    options: PickStreamOptions,
    private readonly method: string,
  ) {
    this.maxPending = options.maxPendingReplies ?? MAX_PENDING_REPLIES_PER_STREAM;
    // Each connection is one reporter: PickDone failures from one alone are a hint (see Balancer.recordOutcome).
    this.answerer = new PickAnswerer(options, call.getPeer());
    call.on('drain', () => {
      if (!this.isClosed) call.resume();
    });
    call.on('end', () => {
      this.close();
      call.end();
    });
    // A client that went away (or was cancelled) needs nothing more from this stream.
    call.on('error', () => this.close());
    call.on('cancelled', () => this.close());
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.answerer.releaseAll();
  }

  /** One pick answered after the ends it carries are recorded; a pick that did not decode is refused in-band. */
  answer(request: GetServerRequest): GetServerReply {
    if (isUndecodable(request)) return { requestId: request.requestId, server: undefined, statusCode: GrpcStatus.INVALID_ARGUMENT, statusMessage: request.reason };
    this.answerer.ended(request.done);
    return this.answerer.answer(request);
  }

  reply(message: Out): void {
    try {
      const isFlowing = this.call.write(message);
      // writableLength: replies the stream holds that HTTP/2 has not taken yet.
      if (this.call.writableLength > this.maxPending) this.refuse();
      else if (!isFlowing && !this.call.isPaused()) this.call.pause();
    } catch {
      // The stream itself is gone; its 'error' or 'cancelled' handler releases the picks.
    }
  }

  /** Ends the stream with `code`: the client broke the protocol, or never reads its replies. */
  fail(code: GrpcStatus, details: string): void {
    this.close();
    this.call.emit('error', { code, details, message: details });
  }

  private refuse(): void {
    this.fail(
      GrpcStatus.RESOURCE_EXHAUSTED,
      `${this.method} closed: ${this.call.writableLength} replies are waiting for this client to read them (at most ${this.maxPending}); read the replies, or open fewer picks at once`,
    );
  }
}

export function serveGetServerStream(call: ServerDuplexStream<GetServerRequest, GetServerReply>, options: PickStreamOptions): void {
  const state = new PickStreamState(call, options, 'GetServerStream');
  call.on('data', (request: GetServerRequest) => {
    if (!state.isClosed) state.reply(state.answer(request));
  });
}

export function serveGetServerBatchStream(call: ServerDuplexStream<GetServerBatch, GetServerReplyBatch>, options: PickStreamOptions): void {
  const state = new PickStreamState(call, options, 'GetServerBatchStream');
  call.on('data', (batch: GetServerBatch) => {
    if (state.isClosed) return;
    // One pick's bad field cannot be answered in-band here: the batch, ids and all, did not decode.
    if (isUndecodable(batch)) return state.fail(GrpcStatus.INVALID_ARGUMENT, batch.reason);
    if (batch.requests.length > MAX_PICKS_PER_BATCH) {
      return state.fail(GrpcStatus.INVALID_ARGUMENT, `a batch of ${batch.requests.length} picks: expected at most ${MAX_PICKS_PER_BATCH} per message`);
    }
    state.reply({ replies: batch.requests.map((request) => state.answer(request)) });
  });
}
