// A call's metadata as the lean server hands it to handlers: the `get` of grpc-js's Metadata, read from the request's
// header list (pseudo-headers and HTTP/2's own left out; "-bin" values base64-decoded, as gRPC over HTTP/2 says).
import type { HeaderList } from '../../h2/hpack.js';

/** Headers gRPC itself uses: not metadata for the handler (grpc-js leaves these out too). */
const TRANSPORT_HEADERS: ReadonlySet<string> = new Set(['content-type', 'te', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding']);

export class LeanMetadata {
  private readonly values = new Map<string, Array<string | Buffer>>();

  constructor(headers: HeaderList) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i] as string;
      if (name.startsWith(':') || TRANSPORT_HEADERS.has(name)) continue;
      const value = headers[i + 1] as string;
      const list = this.values.get(name) ?? [];
      list.push(name.endsWith('-bin') ? Buffer.from(value, 'base64') : value);
      this.values.set(name, list);
    }
  }

  /** Every value of `key` (case-insensitive), in the order sent; [] when absent. */
  get(key: string): Array<string | Buffer> {
    return [...(this.values.get(key.toLowerCase()) ?? [])];
  }

  /** The first value of each key. */
  getMap(): Record<string, string | Buffer> {
    const map: Record<string, string | Buffer> = {};
    for (const [key, list] of this.values) map[key] = list[0] as string | Buffer;
    return map;
  }
}
