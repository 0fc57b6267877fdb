// One watch stream over etcd's JSON gateway: POST /v3/watch, read as newline-delimited messages until stop() or the stream ends.
import type http from 'node:http';
import type { LbxError } from '../../../core/lbx-error.js';
import { GatewayReplyError } from './etcd-gateway-json.js';
import { RequestTimeout, statusErrorOf, StreamEnded, toGatewayLbxError } from './etcd-gateway-errors.js';
import { openGatewayRequest, spanFields, type GatewayEndpoint, type KeySpan } from './etcd-gateway-request.js';
import { NdjsonSplitter, parseWatchLine, type WatchMessage } from './etcd-watch-parser.js';

export interface WatchListener {
  onMessage(message: WatchMessage): void;
  /** Called once when the stream ends for any reason other than stop(). */
  onEnd(error: LbxError): void;
}

export interface WatchStream {
  stop(): void;
}

/** One watch stream over the gateway, with `authorization` when etcd wants a token. */
export class GatewayWatchStream implements WatchStream {
  #isStopped = false;
  #hasEnded = false;
  readonly #request: http.ClientRequest;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly endpoint: GatewayEndpoint,
    span: KeySpan,
    startRevision: string,
    private readonly action: string,
    private readonly listener: WatchListener,
    authorization: string | undefined,
  ) {
    const payload = JSON.stringify({ create_request: { ...spanFields(span), start_revision: startRevision } });
    this.#request = openGatewayRequest(endpoint, 'POST', '/v3/watch', payload, authorization);
    // Bounds the wait for the reply's head; once it streams, the watch decides how long it may last.
    this.#timer = setTimeout(() => this.#end(new RequestTimeout()), endpoint.requestTimeoutMs);
    this.#request.on('error', (error) => this.#end(error));
    this.#request.on('response', (response) => this.#follow(response));
    this.#request.end(payload);
  }

  stop(): void {
    if (this.#isStopped) return;
    this.#isStopped = true;
    clearTimeout(this.#timer);
    this.#request.destroy();
  }

  /** Reads the reply: etcd's error for a non-200, else messages in order until the stream ends. */
  #follow(response: http.IncomingMessage): void {
    clearTimeout(this.#timer);
    response.setEncoding('utf8');
    const status = response.statusCode ?? 0;
    if (status !== 200) {
      let text = '';
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => this.#end(statusErrorOf(status, text)));
      return;
    }
    const splitter = new NdjsonSplitter();
    response.on('data', (chunk: string) => {
      try {
        this.#deliver(splitter.push(chunk));
      } catch (error) {
        this.#end(new GatewayReplyError(error instanceof Error ? error.message : String(error)));
      }
    });
    response.on('error', (error) => this.#end(error));
    response.on('end', () => {
      this.#deliver(splitter.end());
      this.#end(new StreamEnded());
    });
    response.on('close', () => this.#end(new StreamEnded()));
  }

  #deliver(lines: string[]): void {
    for (const line of lines) {
      if (this.#isStopped || this.#hasEnded) return;
      this.listener.onMessage(parseWatchLine(line));
    }
  }

  #end(error: unknown): void {
    if (this.#isStopped || this.#hasEnded) return;
    this.#hasEnded = true;
    clearTimeout(this.#timer);
    this.#request.destroy();
    this.listener.onEnd(toGatewayLbxError(error, this.endpoint.address, this.action, this.endpoint.requestTimeoutMs));
  }
}
