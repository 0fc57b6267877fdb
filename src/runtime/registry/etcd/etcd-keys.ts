// Where lbx keeps instances in etcd: /lbx/<cluster>/<service>/<id>, and the byte-range arithmetic etcd's prefix queries need.
import { LbxError } from '../../../core/lbx-error.js';

export const ETCD_ROOT = '/lbx/';

/**
 * Throws a usage error unless `value` can be one segment of a key: non-empty, no '/'
 * (a '/' in a service name would put another service's keys inside this one's prefix).
 */
export function requireKeySegment(what: string, value: string): void {
  if (value === '' || value.includes('/')) {
    throw new LbxError('usage', `${what} ${JSON.stringify(value)} cannot be used in an etcd key: it must be non-empty and contain no "/"`);
  }
}

/** "/lbx/<cluster>/": every key of one lbx cluster lives under it. */
export function clusterPrefix(cluster: string): string {
  requireKeySegment('cluster name', cluster);
  return `${ETCD_ROOT}${cluster}/`;
}

/** "<prefix><service>/": the instances of one service. */
export function servicePrefix(prefix: string, service: string): string {
  requireKeySegment('service name', service);
  return `${prefix}${service}/`;
}

/** "<prefix><service>/<id>": one instance. */
export function instanceKey(prefix: string, service: string, id: string): string {
  requireKeySegment('instance id', id);
  return `${servicePrefix(prefix, service)}${id}`;
}

/**
 * Every key that starts with `prefix`: the end is the prefix with its last byte incremented,
 * trailing 0xff bytes dropped first (etcd's own GetPrefixRangeEnd). "\0" means "to the end of the keyspace".
 */
export function prefixRange(prefix: string | Buffer): { key: Buffer; rangeEnd: Buffer } {
  const key = typeof prefix === 'string' ? Buffer.from(prefix, 'utf8') : prefix;
  const end = Buffer.from(key);
  for (let index = end.length - 1; index >= 0; index -= 1) {
    const byte = end[index] as number;
    if (byte < 0xff) {
      end[index] = byte + 1;
      return { key, rangeEnd: end.subarray(0, index + 1) };
    }
  }
  return { key, rangeEnd: Buffer.from([0]) };
}

/** The base64 the JSON gateway expects for bytes fields (keys, values, range ends). */
export const toBase64 = (value: string | Buffer): string => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value).toString('base64');

/** A bytes field from the gateway as UTF-8 text ("" when absent, as the gateway omits empty fields). */
export const fromBase64 = (value: unknown): string => (typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : '');

/** The instance id of `key` when it is directly under `serviceKeyPrefix` ("<prefix><service>/"), else undefined. */
export function idFromKey(serviceKeyPrefix: string, key: string): string | undefined {
  if (!key.startsWith(serviceKeyPrefix)) return undefined;
  const id = key.slice(serviceKeyPrefix.length);
  return id === '' || id.includes('/') ? undefined : id;
}
