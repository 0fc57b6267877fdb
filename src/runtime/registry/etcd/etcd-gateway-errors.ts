// What can go wrong talking to etcd's JSON gateway, and the one LbxError each becomes (naming etcd, the action and the cause).
import { LbxError } from '../../../core/lbx-error.js';
import { GatewayReplyError, readGatewayError } from './etcd-gateway-json.js';

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

export class RequestTimeout extends Error {}
export class StreamEnded extends Error {}

/** The body as JSON, or undefined when it is not JSON. */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The error for a non-2xx reply: etcd's own message when the body has one, else the start of the body. */
export function statusErrorOf(status: number, text: string, parsed: unknown = parseJsonOrUndefined(text)): GatewayStatusError {
  return new GatewayStatusError(status, parsed, readGatewayError(parsed) || text.trim().slice(0, 200));
}

export function toGatewayLbxError(error: unknown, address: string, action: string, timeoutMs: number): LbxError {
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
}
