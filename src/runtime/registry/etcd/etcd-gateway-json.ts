// Reading the replies of etcd's v3 JSON gateway. It omits every field at its zero value (no "kvs" when none match,
// no "TTL" for a lease that is gone), writes int64 as strings and bytes as base64; lease IDs exceed 2^53, so they stay strings.
import { fromBase64 } from './etcd-keys.js';

/** One key-value pair of a range reply or a watch event, bytes decoded. Lease "0" means no lease. */
export interface EtcdKv {
  readonly key: string;
  readonly value: string;
  readonly lease: string;
  readonly modRevision: string;
}

export interface RangeReply {
  /** The store revision the range was read at: a watch from revision + 1 misses nothing. */
  readonly revision: string;
  readonly kvs: EtcdKv[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const int64 = (value: unknown): string =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? value : typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : '0';

/** The reply did not have the shape the gateway documents. */
export class GatewayReplyError extends Error {
  override readonly name = 'GatewayReplyError';
}

function requireRevision(body: Record<string, unknown>, what: string): string {
  const revision = int64(isRecord(body['header']) ? body['header']['revision'] : undefined);
  if (revision === '0') throw new GatewayReplyError(`${what} reply without a header revision`);
  return revision;
}

/** A key-value pair as the gateway writes it (in range replies and watch events). */
export function readKv(raw: unknown): EtcdKv | undefined {
  if (!isRecord(raw) || typeof raw['key'] !== 'string') return undefined;
  return { key: fromBase64(raw['key']), value: fromBase64(raw['value']), lease: int64(raw['lease']), modRevision: int64(raw['mod_revision']) };
}

/** POST /v3/kv/range. */
export function readRangeReply(body: unknown): RangeReply {
  if (!isRecord(body)) throw new GatewayReplyError('range reply is not an object');
  const revision = requireRevision(body, 'range');
  const kvs = Array.isArray(body['kvs']) ? body['kvs'].map(readKv).filter((kv): kv is EtcdKv => kv !== undefined) : [];
  return { revision, kvs };
}

/** POST /v3/lease/grant: the new lease's ID. */
export function readGrantReply(body: unknown): string {
  if (!isRecord(body)) throw new GatewayReplyError('lease grant reply is not an object');
  if (typeof body['error'] === 'string' && body['error'] !== '') throw new GatewayReplyError(`lease grant refused: ${body['error']}`);
  const id = int64(body['ID']);
  if (id === '0' || int64(body['TTL']) === '0') throw new GatewayReplyError('lease grant reply without an ID and a TTL');
  return id;
}

/**
 * POST /v3/lease/keepalive (a stream of one reply here): the lease's remaining TTL in seconds.
 * 0 means etcd no longer has the lease — it expired or etcd lost its data. The gateway answers
 * that with an ordinary 200 and a result that merely lacks "TTL", not with an error.
 */
export function readKeepAliveReply(body: unknown): number {
  const result = isRecord(body) ? body['result'] : undefined;
  if (!isRecord(result)) throw new GatewayReplyError(`lease keepalive reply without a result: ${describeStreamError(body)}`);
  const ttlS = Number(int64(result['TTL']));
  return ttlS > 0 ? ttlS : 0;
}

/** GET /health: {"health":"true"} when the member is healthy. */
export function isHealthyReply(body: unknown): boolean {
  return isRecord(body) && (body['health'] === 'true' || body['health'] === true);
}

/** The message of a gateway error body ({"error","message","code"}, or a stream's {"error":{"message"}}), or "". */
export function readGatewayError(body: unknown): string {
  if (!isRecord(body)) return '';
  const error = body['error'];
  if (isRecord(error)) return typeof error['message'] === 'string' ? error['message'] : '';
  if (typeof body['message'] === 'string' && body['message'] !== '') return body['message'];
  return typeof error === 'string' ? error : '';
}

/** True for the gateway's answer to a lease it does not know (gRPC NotFound, "requested lease not found"). */
export function isLeaseNotFound(body: unknown): boolean {
  return isRecord(body) && (body['code'] === 5 || /requested lease not found/i.test(readGatewayError(body)));
}

const describeStreamError = (body: unknown): string => readGatewayError(body) || JSON.stringify(body)?.slice(0, 200) || String(body);
