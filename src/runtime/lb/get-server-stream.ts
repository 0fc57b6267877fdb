// The GetServerStream handler: one pick per request, answered in order, within HTTP/2 flow control.
//
// A client that writes picks and never reads the replies must not make the LB buffer them
// without bound (measured before this: 71 → 201 MB over 836k picks). grpc-js hands a
// server stream's replies to HTTP/2, whose window stops sending once the client stops
// reading; write() then returns false. From then the stream's requests are not read
// (pause) until its replies drain, so HTTP/2 flow control holds the client back instead.
// Replies still waiting to be flushed are bounded too: past the bound the stream is closed
// with RESOURCE_EXHAUSTED, as grpc-js would refuse an oversized message.
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';

import type { PickableBackend } from '../../core/policies/policy.js';
import type { GetServerReply, GetServerRequest, GetServerResponse } from '../wire/gen/lbx/v1/load_balancer.js';
import { isUndecodable } from '../grpc/wide-integers.js';
import { PickTracker, type OutcomeSink } from './pick-tracker.js';

/** What one GetServer request comes to: a backend, or the status the pick fails with. */
export type Decision = { ok: true; server: GetServerResponse; backend: PickableBackend } | { ok: false; code: GrpcStatus; message: string };

/**
 * Replies written on one stream and not yet flushed to HTTP/2, at most. Reading stops as soon
 * as one is not flushed at once, so only the requests already read when that happens can
 * add to these: a few dozen. lbx's own client keeps at most its concurrency in flight.
 */
export const MAX_PENDING_REPLIES_PER_STREAM = 1_024;

export interface PickStreamOptions {
  readonly decide: (request: GetServerRequest) => Decision;
  readonly outcomes: OutcomeSink;
  readonly nowMs: () => number;
  readonly maxPendingReplies?: number;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

export function serveGetServerStream(call: ServerDuplexStream<GetServerRequest, GetServerReply>, options: PickStreamOptions): void {
  const maxPending = options.maxPendingReplies ?? MAX_PENDING_REPLIES_PER_STREAM;
  // Each connection is one reporter: PickDone failures from one alone are a hint (see Balancer.recordOutcome).
  const tracker = new PickTracker(options.outcomes, options.nowMs, call.getPeer());
  let isClosed = false;

  const close = (): void => {
    if (isClosed) return;
    isClosed = true;
    tracker.releaseAll();
  };
  const refuse = (): void => {
    close();
    const details = `GetServerStream closed: ${call.writableLength} replies are waiting for this client to read them (at most ${maxPending}); read the replies, or open fewer picks at once`;
    call.emit('error', { code: GrpcStatus.RESOURCE_EXHAUSTED, details, message: details });
  };
  const reply = (message: GetServerReply): void => {
    const isFlowing = call.write(message);
    // writableLength: replies the stream holds that HTTP/2 has not taken yet.
    if (call.writableLength > maxPending) refuse();
    else if (!isFlowing && !call.isPaused()) call.pause();
  };
  call.on('drain', () => {
    if (!isClosed) call.resume();
  });

  const answer = (request: GetServerRequest): void => {
    if (isUndecodable(request)) {
      reply({ requestId: request.requestId, server: undefined, statusCode: GrpcStatus.INVALID_ARGUMENT, statusMessage: request.reason });
      return;
    }
    tracker.ended(request.done);
    const decision = options.decide(request);
    if (decision.ok) tracker.started(request.requestId, decision.backend);
    reply(
      decision.ok
        ? { requestId: request.requestId, server: decision.server, statusCode: GrpcStatus.OK, statusMessage: '' }
        : { requestId: request.requestId, server: undefined, statusCode: decision.code, statusMessage: decision.message },
    );
  };

  call.on('data', (request: GetServerRequest) => {
    if (isClosed) return;
    try {
      answer(request);
    } catch (error) {
      // A throw here would escape into grpc-js and take the LB down: fail this pick instead.
      try {
        reply({ requestId: Number(request.requestId) || 0, server: undefined, statusCode: GrpcStatus.INTERNAL, statusMessage: messageOf(error) });
      } catch {
        // The stream itself is gone; its 'error' or 'cancelled' handler releases the picks.
      }
    }
  });
  call.on('end', () => {
    close();
    call.end();
  });
  // A client that went away (or was cancelled) needs nothing more from this stream.
  call.on('error', close);
  call.on('cancelled', close);
}
