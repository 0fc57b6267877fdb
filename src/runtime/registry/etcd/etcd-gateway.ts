// The calls lbx makes to etcd's v3 JSON gateway (etcd 3.4+: /v3/...) over node:http, each bounded in time, failures as LbxErrors.
//
// Why the gateway and not the etcd3 npm package: etcd3 loads .proto files from its own directory at run
// time, which breaks bundling lbx into one file; the gateway is plain HTTP and JSON and needs no dependency.
import http from 'node:http';
import { LbxError } from '../../../core/lbx-error.js';
import {
  GatewayReplyError,
  isHealthyReply,
  isLeaseNotFound,
  readGatewayError,
  readGrantReply,
  readKeepAliveReply,
  readRangeReply,
  type RangeReply,
} from './etcd-gateway-json.js';
import { isTokenRejected, readAuthenticateReply, type EtcdCredentials } from './etcd-auth.js';
import { toBase64 } from './etcd-keys.js';
import { NdjsonSplitter, parseWatchLine, type WatchMessage } from './etcd-watch-parser.js';

/** A unary reply larger than this is refused rather than buffered. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

export interface EtcdGatewayOptions {
  /** host:port as the user gave it, for messages. */
  readonly address: string;
  /** Host for node:http: a bare IPv6 literal, without brackets. */
  readonly host: string;
  readonly port: number;
  /** Pooled keep-alive connections; the owner destroys it on close. */
  readonly agent: http.Agent;
  readonly requestTimeoutMs: number;
  /** An etcd with auth enabled wants a token on every request: got with these, sent as Authorization (see etcd-auth.ts). */
  readonly credentials?: EtcdCredentials;
}

/** [key, rangeEnd) as bytes; rangeEnd absent means the single key. */
export interface KeySpan {
  readonly key: Buffer | string;
  readonly rangeEnd?: Buffer;
}

export interface WatchListener {
  onMessage(message: WatchMessage): void;
  /** Called once when the stream ends for any reason other than stop(). */
  onEnd(error: LbxError): void;
}

export interface WatchStream {
  stop(): void;
}

export interface EtcdGateway {
  range(span: KeySpan, action: string): Promise<RangeReply>;
  put(key: string, value: string, leaseId: string, action: string): Promise<void>;
  /** How many keys were deleted. */
  deleteRange(span: KeySpan, action: string): Promise<number>;
  grantLease(ttlS: number, action: string): Promise<string>;
  /** The lease's TTL in seconds after the refresh; 0 when etcd no longer has the lease. */
  keepAliveLease(leaseId: string, timeoutMs: number, action: string): Promise<number>;
  /** 'not-found' when the lease had already expired or been revoked. */
  revokeLease(leaseId: string, action: string): Promise<'revoked' | 'not-found'>;
  /** GET /health; throws only when etcd cannot be asked at all. */
  isHealthy(action: string): Promise<boolean>;
  /** Watches `span` from `startRevision`; messages arrive in order until stop() or onEnd. */
  watch(span: KeySpan, startRevision: string, action: string, listener: WatchListener): WatchStream;
}

/** A non-2xx reply, kept as the cause of the LbxError so callers can look at the body. */
export class GatewayStatusError extends Error {
  override readonly name = 'GatewayStatusError';

  constructor(
    readonly status: number,
    readonly body: unknown,
    text: string,
  ) {
    super(`HTTP ${status}${text === '' ? '' : `: ${text}`}`);
  }
}

class RequestTimeout extends Error {}
class StreamEnded extends Error {}

const spanFields = (span: KeySpan): Record<string, string> => ({
  key: toBase64(span.key),
  ...(span.rangeEnd !== undefined ? { range_end: toBase64(span.rangeEnd) } : {}),
});

export function createEtcdGateway(options: EtcdGatewayOptions): EtcdGateway {
  const { address, requestTimeoutMs } = options;

  const toLbxError = (error: unknown, action: string, timeoutMs: number): LbxError => {
    if (error instanceof LbxError) return error;
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    const message =
      error instanceof RequestTimeout
        ? `etcd at ${address} did not answer within ${timeoutMs} ms while ${action}`
        : error instanceof StreamEnded
          ? `etcd at ${address} closed the stream while ${action}`
          : error instanceof GatewayStatusError
          ? `etcd at ${address} answered ${error.message} while ${action}`
          : error instanceof GatewayReplyError
            ? `etcd at ${address} sent an unexpected reply while ${action}: ${error.message}`
            : typeof code === 'string'
              ? `etcd at ${address} unreachable (${code}) while ${action}`
              : `etcd at ${address} failed while ${action}: ${error instanceof Error ? error.message : String(error)}`;
    return new LbxError('runtime', message, [], { cause: error });
  };

  /** One request with a JSON reply: resolves with the parsed body of a 2xx; rejects with an LbxError. */
  const sendOnce = (method: 'GET' | 'POST', path: string, body: unknown, action: string, timeoutMs: number, authorization: string | undefined): Promise<unknown> =>
    new Promise<unknown>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const request = http.request({
        host: options.host,
        port: options.port,
        path,
        method,
        agent: options.agent,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
          ...(authorization === undefined ? {} : { authorization }),
        },
      });
      let hasTimedOut = false;
      const timer = setTimeout(() => {
        hasTimedOut = true;
        request.destroy(new RequestTimeout());
      }, timeoutMs);
      // Whatever error the destroyed socket reports, a request that ran out of time failed by timing out.
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        reject(toLbxError(hasTimedOut ? new RequestTimeout() : error, action, timeoutMs));
      };
      request.on('error', fail);
      request.on('response', (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_REPLY_BYTES) request.destroy(new GatewayReplyError(`reply larger than ${MAX_REPLY_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('close', () => {
          if (!response.complete) fail(new StreamEnded());
        });
        response.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          const status = response.statusCode ?? 0;
          if (status < 200 || status > 299) {
            fail(new GatewayStatusError(status, parsed, readGatewayError(parsed) || text.trim().slice(0, 200)));
          } else if (parsed === undefined) {
            fail(new GatewayReplyError(`not JSON: ${text.slice(0, 120)}`));
          } else {
            resolve(parsed);
          }
        });
      });
      request.end(payload);
    });

  const { credentials } = options;
  let token: Promise<string> | undefined;
  /** The token to send (asked for once and kept until etcd rejects it); undefined without credentials. */
  const authorization = (action: string): Promise<string | undefined> => {
    if (credentials === undefined) return Promise.resolve(undefined);
    const asking = (token ??= sendOnce('POST', '/v3/auth/authenticate', { name: credentials.user, password: credentials.password }, `authenticating as ${JSON.stringify(credentials.user)} while ${action}`, requestTimeoutMs, undefined).then(
      (reply) => {
        try {
          return readAuthenticateReply(reply);
        } catch (error) {
          throw toLbxError(new GatewayReplyError(error instanceof Error ? error.message : String(error)), action, requestTimeoutMs);
        }
      },
    ));
    // A failed attempt is not kept: the next request asks again.
    asking.catch(() => {
      if (token === asking) token = undefined;
    });
    return asking;
  };
  const isRejectedToken = (error: unknown): boolean =>
    credentials !== undefined && error instanceof LbxError && error.cause instanceof GatewayStatusError && isTokenRejected(error.cause.status, error.cause.body);

  /** sendOnce with the token, asking for a fresh one once when etcd says it has expired. */
  const send = async (method: 'GET' | 'POST', path: string, body: unknown, action: string, timeoutMs = requestTimeoutMs): Promise<unknown> => {
    try {
      return await sendOnce(method, path, body, action, timeoutMs, await authorization(action));
    } catch (error) {
      if (!isRejectedToken(error)) throw error;
      token = undefined;
      return sendOnce(method, path, body, action, timeoutMs, await authorization(action));
    }
  };

  /** Runs a reader over a reply, so a reply of the wrong shape becomes an LbxError naming the action. */
  const read = async <T>(reply: Promise<unknown>, reader: (body: unknown) => T, action: string): Promise<T> => {
    const body = await reply;
    try {
      return reader(body);
    } catch (error) {
      throw toLbxError(error, action, requestTimeoutMs);
    }
  };

  return {
    range: (span, action) => read(send('POST', '/v3/kv/range', spanFields(span), action), readRangeReply, action),

    async put(key, value, leaseId, action) {
      await send('POST', '/v3/kv/put', { key: toBase64(key), value: toBase64(value), lease: leaseId }, action);
    },

    deleteRange: (span, action) =>
      read(send('POST', '/v3/kv/deleterange', spanFields(span), action), (body) => Number((body as { deleted?: unknown }).deleted ?? 0), action),

    grantLease: (ttlS, action) => read(send('POST', '/v3/lease/grant', { TTL: String(ttlS) }, action), readGrantReply, action),

    keepAliveLease: (leaseId, timeoutMs, action) =>
      read(send('POST', '/v3/lease/keepalive', { ID: leaseId }, action, timeoutMs), readKeepAliveReply, action),

    async revokeLease(leaseId, action) {
      try {
        await send('POST', '/v3/lease/revoke', { ID: leaseId }, action);
        return 'revoked';
      } catch (error) {
        const cause = error instanceof LbxError ? error.cause : undefined;
        if (cause instanceof GatewayStatusError && isLeaseNotFound(cause.body)) return 'not-found';
        throw error;
      }
    },

    async isHealthy(action) {
      try {
        return isHealthyReply(await send('GET', '/health', undefined, action));
      } catch (error) {
        // An unhealthy member answers 503 with {"health":"false"}: an answer, not an outage.
        if (error instanceof LbxError && error.cause instanceof GatewayStatusError) return false;
        throw error;
      }
    },

    watch(span, startRevision, action, listener) {
      // The token first (when etcd wants one); a watch ended by a rejected token asks for a new one next time.
      const onEnd = (error: LbxError): void => {
        if (isRejectedToken(error)) token = undefined;
        listener.onEnd(error);
      };
      if (credentials === undefined) return openWatch(span, startRevision, action, { onMessage: listener.onMessage, onEnd }, undefined);
      let stream: WatchStream | undefined;
      let isStopped = false;
      authorization(action).then(
        (value) => {
          if (!isStopped) stream = openWatch(span, startRevision, action, { onMessage: listener.onMessage, onEnd }, value);
        },
        (error: unknown) => {
          if (!isStopped) onEnd(toLbxError(error, action, requestTimeoutMs));
        },
      );
      return {
        stop() {
          isStopped = true;
          stream?.stop();
        },
      };
    },
  };

  /** One watch stream over the gateway, with `authorization` when etcd wants a token. */
  function openWatch(span: KeySpan, startRevision: string, action: string, listener: WatchListener, authorization: string | undefined): WatchStream {
    let isStopped = false;
    let hasEnded = false;
    const end = (error: unknown): void => {
      if (isStopped || hasEnded) return;
      hasEnded = true;
      clearTimeout(timer);
      request.destroy();
      listener.onEnd(toLbxError(error, action, requestTimeoutMs));
    };
    const payload = JSON.stringify({ create_request: { ...spanFields(span), start_revision: startRevision } });
    const request = http.request({
      host: options.host,
      port: options.port,
      path: '/v3/watch',
      method: 'POST',
      agent: options.agent,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(payload),
        ...(authorization === undefined ? {} : { authorization }),
      },
    });
    // Bounds the wait for the reply's head; once it streams, the watch decides how long it may last.
    const timer = setTimeout(() => end(new RequestTimeout()), requestTimeoutMs);
    request.on('error', end);
    request.on('response', (response) => {
      clearTimeout(timer);
      response.setEncoding('utf8');
      const status = response.statusCode ?? 0;
      if (status !== 200) {
        let text = '';
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = undefined;
          }
          end(new GatewayStatusError(status, parsed, readGatewayError(parsed) || text.trim().slice(0, 200)));
        });
        return;
      }
      const splitter = new NdjsonSplitter();
      const deliver = (lines: string[]): void => {
        for (const line of lines) {
          if (isStopped || hasEnded) return;
          listener.onMessage(parseWatchLine(line));
        }
      };
      response.on('data', (chunk: string) => {
        try {
          deliver(splitter.push(chunk));
        } catch (error) {
          end(new GatewayReplyError(error instanceof Error ? error.message : String(error)));
        }
      });
      response.on('error', end);
      response.on('end', () => {
        deliver(splitter.end());
        end(new StreamEnded());
      });
      response.on('close', () => end(new StreamEnded()));
    });
    request.end(payload);

    return {
      stop() {
        if (isStopped) return;
        isStopped = true;
        clearTimeout(timer);
        request.destroy();
      },
    };
  }
}
