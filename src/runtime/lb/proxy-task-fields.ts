// What a pick needs from a forwarded ProcessTask (its type and key), read off the protobuf wire without decoding it.
//
// TaskRequest is flat: task_id = 1, type = 2, work_units = 3, client_id = 4, key = 5. The scan
// walks the fields once, keeps the type and the key, and skips everything else by wire type; the
// backend validates the rest, as it does for any client.
import type { TaskKind } from '../../core/policies/policy.js';
import { checkTaskType } from '../grpc/field-checks.js';

/** gRPC message prefix: a compressed flag and a 4-byte big-endian length. */
export const GRPC_PREFIX_BYTES = 5;

const TYPE_FIELD = 2;
const KEY_FIELD = 5;
const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

export type TaskFields = { readonly ok: true; readonly kind: TaskKind; readonly key: string } | { readonly ok: false; readonly message: string };

/**
 * Reads type and key from one length-prefixed gRPC message (a unary request body). A compressed
 * message cannot be read without inflating it, so its key comes from `keyHeader` (x-lbx-key) and
 * its kind is taken as SIMPLE: only the pick is approximate, the backend still sees the task.
 */
export function readTaskFields(body: Buffer, keyHeader: string | undefined): TaskFields {
  if (body.length < GRPC_PREFIX_BYTES) return { ok: false, message: `request body of ${body.length} bytes: expected one length-prefixed gRPC message` };
  const length = body.readUInt32BE(1);
  if (body.length !== GRPC_PREFIX_BYTES + length) {
    return { ok: false, message: `request body of ${body.length} bytes holds no single message of ${length} bytes: expected exactly one (unary)` };
  }
  if (body[0] !== 0) return { ok: true, kind: 'SIMPLE', key: keyHeader ?? '' };
  const scanned = scanTypeAndKey(body, GRPC_PREFIX_BYTES);
  if (scanned === undefined) return { ok: false, message: 'request message is not valid protobuf' };
  const kind = checkTaskType('type', scanned.type);
  if (!kind.ok) return kind;
  return { ok: true, kind: kind.value, key: keyHeader ?? scanned.key };
}

/** One pass over the fields from `start`; undefined when the bytes are not protobuf (a truncated field, a bad wire type). */
function scanTypeAndKey(bytes: Buffer, start: number): { type: number; key: string } | undefined {
  let type = 0;
  let key = '';
  let at = start;
  while (at < bytes.length) {
    const tag = readVarint(bytes, at);
    if (tag === undefined) return undefined;
    at = tag.next;
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    if (wire === WIRE_VARINT) {
      const value = readVarint(bytes, at);
      if (value === undefined) return undefined;
      if (field === TYPE_FIELD) type = value.value;
      at = value.next;
    } else if (wire === WIRE_LEN) {
      const length = readVarint(bytes, at);
      if (length === undefined || length.next + length.value > bytes.length) return undefined;
      if (field === KEY_FIELD) key = bytes.toString('utf8', length.next, length.next + length.value);
      at = length.next + length.value;
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      at += wire === WIRE_I64 ? 8 : 4;
    } else return undefined;
  }
  return at === bytes.length ? { type, key } : undefined;
}

/** A base-128 varint at `at`; values past 2^53 lose precision, which no field read here can reach. */
function readVarint(bytes: Buffer, at: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let index = at; index < bytes.length && index < at + 10; index += 1) {
    const byte = bytes[index] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: index + 1 };
    scale *= 128;
  }
  return undefined;
}
