// Header lists as the relay passes them on: lookups, the hop-by-hop ones dropped, and the proxy's own gRPC status answers.
import { headerValue, type HeaderList } from '../../h2/hpack.js';
import { formatGrpcTimeout } from '../../grpc/grpc-timeout.js';
import { GRPC_STATUS_UNAVAILABLE } from '../h2-forward-stream.js';
import { statusTrailerList } from '../../grpc/grpc-message-text.js';

/** Connection-specific headers HTTP/2 forbids or that name the hop, never copied across (as h2-forward-stream.ts). */
const HOP_HEADERS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings', ':authority']);

/** A client's request headers for an upstream: its :authority, no hop headers, and grpc-timeout set to what is left of the deadline. */
export function upstreamRequestHeaders(headers: HeaderList, authority: string, deadlineUnixMs: number | undefined): HeaderList {
  const out: HeaderList = [':authority', authority];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string;
    if (HOP_HEADERS.has(name) || (deadlineUnixMs !== undefined && name === 'grpc-timeout')) continue;
    out.push(name, headers[i + 1] as string);
  }
  if (deadlineUnixMs !== undefined) out.push('grpc-timeout', formatGrpcTimeout(deadlineUnixMs - Date.now()));
  return out;
}

/** Response headers or trailers minus hop headers (usually none: then the list itself is returned). */
export function withoutHopHeaders(headers: HeaderList): HeaderList {
  let hasHop = false;
  for (let i = 0; i < headers.length && !hasHop; i += 2) hasHop = HOP_HEADERS.has(headers[i] as string);
  if (!hasHop) return headers;
  const out: HeaderList = [];
  for (let i = 0; i < headers.length; i += 2) if (!HOP_HEADERS.has(headers[i] as string)) out.push(headers[i] as string, headers[i + 1] as string);
  return out;
}

/** grpc-status of trailers (or a trailers-only response); UNAVAILABLE when absent or not a number. */
export function grpcStatusOf(headers: HeaderList): number {
  const value = Number(headerValue(headers, 'grpc-status'));
  return Number.isInteger(value) ? value : GRPC_STATUS_UNAVAILABLE;
}

/** The proxy's own answer as trailers: after response headers (`isTrailersOnly` false) or as the whole response. */
export function statusHeaders(grpcStatus: number, message: string, isTrailersOnly: boolean): HeaderList {
  const status = statusTrailerList(grpcStatus, message);
  return isTrailersOnly ? [':status', '200', 'content-type', 'application/grpc', ...status] : status;
}
