// One pooled HTTP/2 (h2c) session per backend for the proxy's forwarded streams: reused, replaced once it closes or is told to go away.
import http2, { type ClientHttp2Session } from 'node:http2';

/** A pooled session and whether its connection was ever made: a stream on one that never connected sent nothing. */
export interface PooledSession {
  readonly session: ClientHttp2Session;
  readonly authority: string;
  isConnected: boolean;
}

/** HTTP/2 settings towards backends: a wide window, so a busy session is never the bottleneck of many small calls. */
const SESSION_OPTIONS: http2.ClientSessionOptions = {
  settings: { initialWindowSize: 4 * 1024 * 1024, enablePush: false },
  // Streams to one backend are bounded by the clients' own concurrency; nghttp2's default cap (100 outstanding) is not.
  peerMaxConcurrentStreams: 10_000,
};
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;

export class H2SessionPool {
  private readonly pooled = new Map<string, PooledSession>();
  private isClosed = false;

  /** The live session to `authority` (host:port), connecting a new one when there is none or the last is going away. */
  get(authority: string): PooledSession {
    const current = this.pooled.get(authority);
    if (current !== undefined && !current.session.closed && !current.session.destroyed) return current;
    return this.connect(authority);
  }

  /** Number of sessions open now (tests check that closing leaves none). */
  get size(): number {
    return this.pooled.size;
  }

  /** Closes every session; streams under way are cut (the LB's grace period is over). */
  close(): void {
    this.isClosed = true;
    for (const entry of this.pooled.values()) entry.session.destroy();
    this.pooled.clear();
  }

  private connect(authority: string): PooledSession {
    const session = http2.connect(`http://${authority}`, SESSION_OPTIONS);
    const entry: PooledSession = { session, authority, isConnected: false };
    const forget = (): void => {
      if (this.pooled.get(authority) === entry) this.pooled.delete(authority);
    };
    session.once('connect', () => {
      entry.isConnected = true;
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
      // The socket is the backend's: an idle pool must not keep a stopping LB alive.
      session.unref();
    });
    // Errors reach every stream on the session; here they only retire it.
    session.on('error', forget);
    // A GOAWAY lets streams under way finish; new ones go to a fresh session.
    session.on('goaway', forget);
    session.on('close', forget);
    if (this.isClosed) session.destroy();
    else this.pooled.set(authority, entry);
    return entry;
  }
}
