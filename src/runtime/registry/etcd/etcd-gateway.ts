// The calls lbx makes to etcd's v3 JSON gateway (etcd 3.4+: /v3/...) over node:http, each bounded in time, failures as LbxErrors.
//
// Why the gateway and not the etcd3 npm package: etcd3 loads .proto files from its own directory at run
// time, which breaks bundling lbx into one file; the gateway is plain HTTP and JSON and needs no dependency.
import { LbxError } from '../../../core/lbx-error.js';
import { isHealthyReply, isLeaseNotFound, readGrantReply, readKeepAliveReply, readRangeReply, type RangeReply } from './etcd-gateway-json.js';
import type { EtcdCredentials } from './etcd-auth.js';
import { GatewayStatusError, toGatewayLbxError } from './etcd-gateway-errors.js';
import { sendGatewayRequest, spanFields, type GatewayEndpoint, type GatewayMethod, type KeySpan } from './etcd-gateway-request.js';
import { GatewayToken } from './etcd-gateway-token.js';
import { toBase64 } from './etcd-keys.js';
import { GatewayWatchStream, type WatchListener, type WatchStream } from './etcd-watch-stream.js';

export { GatewayStatusError } from './etcd-gateway-errors.js';
export type { KeySpan } from './etcd-gateway-request.js';
export type { WatchListener, WatchStream } from './etcd-watch-stream.js';

export interface EtcdGatewayOptions extends GatewayEndpoint {
  /** An etcd with auth enabled wants a token on every request: got with these, sent as Authorization (see etcd-auth.ts). */
  readonly credentials?: EtcdCredentials;
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

/** The gateway's calls, each with the token when etcd wants one; one class so the token is shared by them all. */
class EtcdJsonGateway implements EtcdGateway {
  readonly #token: GatewayToken;

  constructor(private readonly options: EtcdGatewayOptions) {
    this.#token = new GatewayToken(options, options.credentials);
  }

  range(span: KeySpan, action: string): Promise<RangeReply> {
    return this.#read(this.#send('POST', '/v3/kv/range', spanFields(span), action), readRangeReply, action);
  }

  async put(key: string, value: string, leaseId: string, action: string): Promise<void> {
    await this.#send('POST', '/v3/kv/put', { key: toBase64(key), value: toBase64(value), lease: leaseId }, action);
  }

  deleteRange(span: KeySpan, action: string): Promise<number> {
    return this.#read(this.#send('POST', '/v3/kv/deleterange', spanFields(span), action), (body) => Number((body as { deleted?: unknown }).deleted ?? 0), action);
  }

  grantLease(ttlS: number, action: string): Promise<string> {
    return this.#read(this.#send('POST', '/v3/lease/grant', { TTL: String(ttlS) }, action), readGrantReply, action);
  }

  keepAliveLease(leaseId: string, timeoutMs: number, action: string): Promise<number> {
    return this.#read(this.#send('POST', '/v3/lease/keepalive', { ID: leaseId }, action, timeoutMs), readKeepAliveReply, action);
  }

  async revokeLease(leaseId: string, action: string): Promise<'revoked' | 'not-found'> {
    try {
      await this.#send('POST', '/v3/lease/revoke', { ID: leaseId }, action);
      return 'revoked';
    } catch (error) {
      const cause = error instanceof LbxError ? error.cause : undefined;
      if (cause instanceof GatewayStatusError && isLeaseNotFound(cause.body)) return 'not-found';
      throw error;
    }
  }

  async isHealthy(action: string): Promise<boolean> {
    try {
      return isHealthyReply(await this.#send('GET', '/health', undefined, action));
    } catch (error) {
      // An unhealthy member answers 503 with {"health":"false"}: an answer, not an outage.
      if (error instanceof LbxError && error.cause instanceof GatewayStatusError) return false;
      throw error;
    }
  }

  watch(span: KeySpan, startRevision: string, action: string, listener: WatchListener): WatchStream {
    // The token first (when etcd wants one); a watch ended by a rejected token asks for a new one next time.
    const onEnd = (error: LbxError): void => {
      if (this.#token.isRejection(error)) this.#token.forget();
      listener.onEnd(error);
    };
    if (!this.#token.isNeeded) return new GatewayWatchStream(this.options, span, startRevision, action, { onMessage: listener.onMessage, onEnd }, undefined);
    let stream: WatchStream | undefined;
    let isStopped = false;
    this.#token.get(action).then(
      (value) => {
        if (!isStopped) stream = new GatewayWatchStream(this.options, span, startRevision, action, { onMessage: listener.onMessage, onEnd }, value);
      },
      (error: unknown) => {
        if (!isStopped) onEnd(toGatewayLbxError(error, this.options.address, action, this.options.requestTimeoutMs));
      },
    );
    return {
      stop() {
        isStopped = true;
        stream?.stop();
      },
    };
  }

  /** One request with the token, asking for a fresh one once when etcd says it has expired. */
  async #send(method: GatewayMethod, path: string, body: unknown, action: string, timeoutMs = this.options.requestTimeoutMs): Promise<unknown> {
    try {
      return await sendGatewayRequest(this.options, method, path, body, action, timeoutMs, await this.#token.get(action));
    } catch (error) {
      if (!this.#token.isRejection(error)) throw error;
      this.#token.forget();
      return sendGatewayRequest(this.options, method, path, body, action, timeoutMs, await this.#token.get(action));
    }
  }

  /** Runs a reader over a reply, so a reply of the wrong shape becomes an LbxError naming the action. */
  async #read<T>(reply: Promise<unknown>, reader: (body: unknown) => T, action: string): Promise<T> {
    const body = await reply;
    try {
      return reader(body);
    } catch (error) {
      throw toGatewayLbxError(error, this.options.address, action, this.options.requestTimeoutMs);
    }
  }
}

export function createEtcdGateway(options: EtcdGatewayOptions): EtcdGateway {
  return new EtcdJsonGateway(options);
}
