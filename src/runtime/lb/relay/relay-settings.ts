// HTTP/2 settings the relay advertises on both sides, and the limits it holds clients to.
import type { H2ConnectionOptions, H2Role } from '../../h2/h2-connection.js';

/** Per-stream receive window: lbx messages are tiny, streams of picks are long; 1 MB bounds what one stream makes the LB hold. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
/** Per-connection receive window: many small calls at once never wait for a WINDOW_UPDATE. */
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
/** Streams one client may have open at once through the relay (more are refused, and the client retries them). */
const MAX_CLIENT_STREAMS = 1_000;
/** Largest decoded header list taken from either side (gRPC's default limit is 8 KB; the LB's own server allows 16 KB). */
const MAX_HEADER_LIST_BYTES = 64 * 1024;

export function relaySettings(role: H2Role): H2ConnectionOptions {
  return {
    role,
    streamWindowBytes: STREAM_WINDOW_BYTES,
    connectionWindowBytes: CONNECTION_WINDOW_BYTES,
    // Upstream, the relay opens streams itself: the bound is the clients'.
    maxConcurrentStreams: role === 'server' ? MAX_CLIENT_STREAMS : 2 ** 31 - 1,
    maxHeaderListBytes: MAX_HEADER_LIST_BYTES,
  };
}
