// An instance as lbx stores it in etcd: the value of its key is JSON {id, service, address, port, meta}.
import type { ServiceInstance } from '../registry-contract.js';
import { idFromKey } from './etcd-keys.js';

/** The value written under an instance's key. */
export function encodeInstance(instance: ServiceInstance): string {
  const { id, service, address, port, meta } = instance;
  return JSON.stringify({ id, service, address, port, meta });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The instance stored under `key`, or undefined when the entry is not one lbx can use: not JSON, an id or
 * service that disagrees with the key, no address, a port outside 1–65535. Anyone with write access to etcd
 * can put anything under the prefix, so a bad value is skipped rather than trusted. Meta keeps string values only.
 */
export function decodeInstance(serviceKeyPrefix: string, service: string, key: string, value: string): ServiceInstance | undefined {
  const id = idFromKey(serviceKeyPrefix, key);
  if (id === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const { address, port, meta } = parsed;
  if (parsed['id'] !== id || parsed['service'] !== service) return undefined;
  if (typeof address !== 'string' || address === '') return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  const strings = isRecord(meta) ? Object.fromEntries(Object.entries(meta).filter((pair): pair is [string, string] => typeof pair[1] === 'string')) : {};
  return { id, service, address, port, meta: strings };
}

/** Instances ordered by id, as the Consul adapter returns them, so equal sets compare equal. */
export function sortById(instances: Iterable<ServiceInstance>): ServiceInstance[] {
  return [...instances].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
