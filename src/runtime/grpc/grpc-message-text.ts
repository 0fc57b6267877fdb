// grpc-message, the status details in trailers: percent-encoded UTF-8 (gRPC over HTTP/2, "Responses").
import type { HeaderList } from '../h2/hpack.js';

/** A status as the trailers (or the end of a trailers-only response) of a call answered over lbx's own HTTP/2. */
export function statusTrailerList(code: number, message: string): HeaderList {
  return ['grpc-status', String(code), 'grpc-message', encodeGrpcMessage(message)];
}

/** Percent-encodes every byte outside printable ASCII, and '%' itself. */
export function encodeGrpcMessage(message: string): string {
  if (/^[\x20-\x24\x26-\x7e]*$/.test(message)) return message;
  let encoded = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    encoded += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return encoded;
}

/** The details a peer sent; a malformed escape is kept as it came (the spec asks receivers not to fail on it). */
export function decodeGrpcMessage(encoded: string): string {
  if (!encoded.includes('%')) return encoded;
  const bytes: number[] = [];
  for (let at = 0; at < encoded.length; at += 1) {
    const hex = encoded.slice(at + 1, at + 3);
    if (encoded[at] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      at += 2;
    } else bytes.push(encoded.charCodeAt(at) & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}
