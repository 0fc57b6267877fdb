// The auth token a gateway client sends when etcd has auth enabled: asked for once, kept until etcd rejects it (see etcd-auth.ts).
import { LbxError } from '../../../core/lbx-error.js';
import { isTokenRejected, readAuthenticateReply, type EtcdCredentials } from './etcd-auth.js';
import { GatewayStatusError, toGatewayLbxError } from './etcd-gateway-errors.js';
import { GatewayReplyError } from './etcd-gateway-json.js';
import { sendGatewayRequest, type GatewayEndpoint } from './etcd-gateway-request.js';

export class GatewayToken {
  #token: Promise<string> | undefined;

  constructor(
    private readonly endpoint: GatewayEndpoint,
    private readonly credentials: EtcdCredentials | undefined,
  ) {}

  /** Whether etcd wants a token at all (the client was given credentials). */
  get isNeeded(): boolean {
    return this.credentials !== undefined;
  }

  /** The token to send (asked for once and kept until etcd rejects it); undefined without credentials. */
  get(action: string): Promise<string | undefined> {
    const { credentials, endpoint } = this;
    if (credentials === undefined) return Promise.resolve(undefined);
    const asking = (this.#token ??= sendGatewayRequest(
      endpoint,
      'POST',
      '/v3/auth/authenticate',
      { name: credentials.user, password: credentials.password },
      `authenticating as ${JSON.stringify(credentials.user)} while ${action}`,
      endpoint.requestTimeoutMs,
      undefined,
    ).then((reply) => {
      try {
        return readAuthenticateReply(reply);
      } catch (error) {
        throw toGatewayLbxError(new GatewayReplyError(error instanceof Error ? error.message : String(error)), endpoint.address, action, endpoint.requestTimeoutMs);
      }
    }));
    // A failed attempt is not kept: the next request asks again.
    asking.catch(() => {
      if (this.#token === asking) this.#token = undefined;
    });
    return asking;
  }

  /** Whether `error` is etcd refusing the token sent with a request (expired, or forgotten by a restarted etcd). */
  isRejection(error: unknown): boolean {
    return this.credentials !== undefined && error instanceof LbxError && error.cause instanceof GatewayStatusError && isTokenRejected(error.cause.status, error.cause.body);
  }

  /** Drops the kept token, so the next request asks for a fresh one. */
  forget(): void {
    this.#token = undefined;
  }
}
