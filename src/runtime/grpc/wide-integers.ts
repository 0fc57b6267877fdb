// Requests whose 64-bit integers do not fit a JS number: the caller's mistake, answered INVALID_ARGUMENT naming the field.
//
// The generated decoders throw on a uint64/int64 beyond ±(2^53 − 1), and grpc-js answers a
// request it cannot decode with INTERNAL, ending the call: on GetServerStream that kills every
// pick in flight on the stream. Here a decoder that throws is wrapped: the request becomes an
// Undecodable marker naming the field, which the handler answers like any other bad field.
import type { ServiceDefinition } from '@grpc/grpc-js';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';

/** Where the 64-bit integers of one message are, by field number; nested messages have their own. */
export interface WideFieldSchema {
  readonly [fieldNo: number]: { readonly name: string; readonly kind: 'uint64' | 'int64' } | { readonly name: string; readonly kind: 'message'; readonly fields: WideFieldSchema };
}

const UNDECODABLE = Symbol('undecodable');

/** What a request that could not be decoded becomes: why, and its request_id when that field itself was fine. */
export interface Undecodable {
  readonly [UNDECODABLE]: true;
  readonly reason: string;
  readonly requestId: number;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
/** Nesting followed at most, so a hostile body cannot make the search deep. */
const MAX_DEPTH = 4;
/** The top-level field that names a stream request, echoed in its reply. */
const REQUEST_ID_FIELD = 'request_id';

export function isUndecodable(request: unknown): request is Undecodable {
  return typeof request === 'object' && request !== null && (request as Partial<Undecodable>)[UNDECODABLE] === true;
}

/** A field of `schema` in `bytes` whose value is beyond a JS number, as "done[2].request_id 18446744073709551615"; undefined if none. */
export function findWideField(bytes: Uint8Array, schema: WideFieldSchema, prefix = '', depth = 0): { path: string; value: bigint } | undefined {
  const reader = new BinaryReader(bytes);
  const repeats = new Map<number, number>();
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    const field = schema[fieldNo];
    const position = repeats.get(fieldNo) ?? 0;
    repeats.set(fieldNo, position + 1);
    if (field !== undefined && wireType === WireType.Varint && field.kind !== 'message') {
      const value = BigInt(field.kind === 'uint64' ? reader.uint64() : reader.int64());
      if (value > MAX_SAFE || value < MIN_SAFE) return { path: `${prefix}${field.name}`, value };
    } else if (field !== undefined && wireType === WireType.LengthDelimited && field.kind === 'message' && depth < MAX_DEPTH) {
      const found = findWideField(reader.bytes(), field.fields, `${prefix}${field.name}[${position}].`, depth + 1);
      if (found !== undefined) return found;
    } else {
      reader.skip(wireType, fieldNo);
    }
  }
  return undefined;
}

/** The top-level request_id of a request, when it is there and fits; 0 otherwise. */
function safeRequestId(bytes: Uint8Array, schema: WideFieldSchema): number {
  const entry = Object.entries(schema).find(([, field]) => field.name === REQUEST_ID_FIELD);
  if (entry === undefined) return 0;
  try {
    const reader = new BinaryReader(bytes);
    let id = 0;
    while (reader.pos < reader.len) {
      const [fieldNo, wireType] = reader.tag();
      if (fieldNo !== Number(entry[0]) || wireType !== WireType.Varint) {
        reader.skip(wireType, fieldNo);
        continue;
      }
      const value = BigInt(reader.uint64());
      id = value <= MAX_SAFE ? Number(value) : 0;
    }
    return id;
  } catch {
    return 0;
  }
}

/** Why `bytes` did not decode: the wide field when there is one, else the decoder's own words. */
export function describeUndecodable(bytes: Uint8Array, schema: WideFieldSchema, error: unknown): string {
  let wide: { path: string; value: bigint } | undefined;
  try {
    wide = findWideField(bytes, schema);
  } catch {
    wide = undefined; // malformed beyond the wide field: the decoder's message says more
  }
  if (wide !== undefined) {
    return `${wide.path} ${wide.value} is out of range: expected an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER} (2^53 − 1)`;
  }
  return `the request could not be decoded: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * The service definition with every request decoder named in `schemas` made tolerant: a body
 * it cannot decode becomes an Undecodable (see isUndecodable) for the handler to refuse.
 */
export function withTolerantDecoders<D extends ServiceDefinition>(definition: D, schemas: { readonly [method in keyof D]?: WideFieldSchema }): D {
  const tolerant: Record<string, unknown> = { ...definition };
  for (const [method, schema] of Object.entries(schemas) as Array<[string, WideFieldSchema]>) {
    const original = definition[method];
    if (original === undefined) continue;
    tolerant[method] = {
      ...original,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return original.requestDeserialize(bytes);
        } catch (error) {
          const undecodable: Undecodable = { [UNDECODABLE]: true, reason: describeUndecodable(bytes, schema, error), requestId: safeRequestId(bytes, schema) };
          return undecodable;
        }
      },
    };
  }
  return tolerant as D;
}
