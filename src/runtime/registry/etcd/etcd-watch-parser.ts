// The watch stream of etcd's JSON gateway: one POST response carrying newline-delimited JSON objects, each
// {"result": WatchResponse} (or {"error": …} when the stream fails), read here into typed messages.
import { readGatewayError, readKv } from './etcd-gateway-json.js';

/** A line longer than this is not a watch response the gateway would send: the stream is treated as broken. */
export const MAX_WATCH_LINE_CHARS = 32 * 1024 * 1024;

/** Splits a text stream into its non-blank lines, holding back the unfinished last one. */
export class NdjsonSplitter {
  private buffer = '';

  /** The lines completed by `text`; throws once an unfinished line exceeds MAX_WATCH_LINE_CHARS. */
  push(text: string): string[] {
    this.buffer += text;
    const parts = this.buffer.split('\n');
    this.buffer = parts.pop() ?? '';
    if (this.buffer.length > MAX_WATCH_LINE_CHARS) {
      this.buffer = '';
      throw new Error(`watch stream line longer than ${MAX_WATCH_LINE_CHARS} characters`);
    }
    return parts.map((line) => line.trim()).filter((line) => line !== '');
  }

  /** Whatever is left once the stream ended (a last line without its newline). */
  end(): string[] {
    const rest = this.buffer.trim();
    this.buffer = '';
    return rest === '' ? [] : [rest];
  }
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  /** The new value of a put; "" for a delete. */
  readonly value: string;
  readonly modRevision: string;
}

/**
 * What one line of the stream says: the watch was created; events happened; etcd canceled the watch
 * (its start revision was compacted, or the server is going away); the stream failed; or nothing to act on
 * (a progress notification). 'malformed' for a line that is not a watch response at all.
 */
export type WatchMessage =
  | { readonly kind: 'created' }
  | { readonly kind: 'events'; readonly events: WatchEvent[] }
  | { readonly kind: 'canceled'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'progress' }
  | { readonly kind: 'malformed'; readonly detail: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function parseWatchLine(line: string): WatchMessage {
  let body: unknown;
  try {
    body = JSON.parse(line);
  } catch {
    return { kind: 'malformed', detail: `not JSON: ${line.slice(0, 120)}` };
  }
  if (!isRecord(body)) return { kind: 'malformed', detail: `not an object: ${line.slice(0, 120)}` };
  if (body['error'] !== undefined) return { kind: 'error', message: readGatewayError(body) || JSON.stringify(body['error']).slice(0, 200) };
  const result = body['result'];
  if (!isRecord(result)) return { kind: 'malformed', detail: `no result: ${line.slice(0, 120)}` };
  if (result['canceled'] === true) {
    const compacted = typeof result['compact_revision'] === 'string' && result['compact_revision'] !== '0' ? result['compact_revision'] : undefined;
    const reason = typeof result['cancel_reason'] === 'string' && result['cancel_reason'] !== '' ? result['cancel_reason'] : undefined;
    return {
      kind: 'canceled',
      reason: compacted !== undefined ? `history compacted up to revision ${compacted}` : (reason ?? 'canceled by etcd'),
    };
  }
  if (result['created'] === true) return { kind: 'created' };
  if (!Array.isArray(result['events']) || result['events'].length === 0) return { kind: 'progress' };
  const events: WatchEvent[] = [];
  for (const raw of result['events']) {
    const kv = isRecord(raw) ? readKv(raw['kv']) : undefined;
    if (!isRecord(raw) || kv === undefined) return { kind: 'malformed', detail: `event without a key: ${JSON.stringify(raw).slice(0, 120)}` };
    // The gateway leaves out "type" for PUT, the enum's zero value.
    const type = raw['type'] === undefined || raw['type'] === 'PUT' || raw['type'] === 0 ? 'put' : raw['type'] === 'DELETE' || raw['type'] === 1 ? 'delete' : undefined;
    if (type === undefined) return { kind: 'malformed', detail: `unknown event type ${JSON.stringify(raw['type'])}` };
    events.push({ type, key: kv.key, value: type === 'put' ? kv.value : '', modRevision: kv.modRevision });
  }
  return { kind: 'events', events };
}
