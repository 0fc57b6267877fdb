// One request to etcd's v3 JSON gateway over node:http: where it goes, and a unary call with a JSON reply, bounded in time.
import http from 'node:http';
import { GatewayReplyError } from './etcd-gateway-json.js';
import { parseJsonOrUndefined, RequestTimeout, statusErrorOf, StreamEnded, toGatewayLbxError } from './etcd-gateway-errors.js';
import { toBase64 } from './etcd-keys.js';

/** A unary reply larger than this is refused rather than buffered. */
const MAX_REPLY_BYTES = 16 * 1024 * 1024;

export type GatewayMethod = 'GET' | 'POST';

/** Where the gateway is, and how long an ordinary request may take. */
export interface GatewayEndpoint {
  /** host:port as the user gave it, for messages. */
  readonly address: string;
  /** Host for node:http: a bare IPv6 literal, without brackets. */
  readonly host: string;
  readonly port: number;
  /** Pooled keep-alive connections; the owner destroys it on close. */
  readonly agent: http.Agent;
  readonly requestTimeoutMs: number;
}

/** [key, rangeEnd) as bytes; rangeEnd absent means the single key. */
export interface KeySpan {
  readonly key: Buffer | string;
  readonly rangeEnd?: Buffer;
}

export const spanFields = (span: KeySpan): Record<string, string> => ({
  key: toBase64(span.key),
  ...(span.rangeEnd !== undefined ? { range_end: toBase64(span.rangeEnd) } : {}),
});

/** A request carrying `payload` as its JSON body (when there is one) and `authorization` when etcd wants a token; not yet ended. */
export function openGatewayRequest(
  endpoint: GatewayEndpoint,
  method: GatewayMethod,
  path: string,
  payload: string | undefined,
  authorization: string | undefined,
): http.ClientRequest {
  return http.request({
    host: endpoint.host,
    port: endpoint.port,
    path,
    method,
    agent: endpoint.agent,
    headers: {
      ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      ...(authorization === undefined ? {} : { authorization }),
    },
  });
}

/** One request with a JSON reply: resolves with the parsed body of a 2xx; rejects with an LbxError. */
export function sendGatewayRequest(
  endpoint: GatewayEndpoint,
  method: GatewayMethod,
  path: string,
  body: unknown,
  action: string,
  timeoutMs: number,
  authorization: string | undefined,
): Promise<unknown> {
  return new Promise<unknown>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = openGatewayRequest(endpoint, method, path, payload, authorization);
    let hasTimedOut = false;
    const timer = setTimeout(() => {
      hasTimedOut = true;
      request.destroy(new RequestTimeout());
    }, timeoutMs);
    // Whatever error the destroyed socket reports, a request that ran out of time failed by timing out.
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(toGatewayLbxError(hasTimedOut ? new RequestTimeout() : error, endpoint.address, action, timeoutMs));
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
        const status = response.statusCode ?? 0;
        const parsed = parseJsonOrUndefined(text);
        if (status < 200 || status > 299) {
          fail(statusErrorOf(status, text, parsed));
        } else if (parsed === undefined) {
          fail(new GatewayReplyError(`not JSON: ${text.slice(0, 120)}`));
        } else {
          resolve(parsed);
        }
      });
    });
    request.end(payload);
  });
}
