// The instances of one service as a watch sees them: reset from a range, updated by watch events, handed out only when changed.
import type { ServiceInstance } from '../registry-contract.js';
import type { EtcdKv } from './etcd-gateway-json.js';
import { decodeInstance, sortById } from './etcd-instance-value.js';
import type { WatchEvent } from './etcd-watch-parser.js';

/** The usable instances among `kvs` (a range over the service's prefix), sorted by id; bad values are skipped. */
export function decodeInstances(serviceKeyPrefix: string, service: string, kvs: readonly EtcdKv[]): ServiceInstance[] {
  const instances: ServiceInstance[] = [];
  for (const kv of kvs) {
    const instance = decodeInstance(serviceKeyPrefix, service, kv.key, kv.value);
    if (instance !== undefined) instances.push(instance);
  }
  return sortById(instances);
}

export class WatchedSet {
  /** By etcd key: a key present with a usable value is a passing instance. */
  private readonly members = new Map<string, ServiceInstance>();
  private lastTakenKey: string | undefined;

  constructor(
    private readonly serviceKeyPrefix: string,
    private readonly service: string,
  ) {}

  /** Replaces the set with what a range found (after a (re)connect, nothing of the old set is trusted). */
  reset(kvs: readonly EtcdKv[]): void {
    this.members.clear();
    for (const kv of kvs) this.put(kv.key, kv.value);
  }

  /** Applies a watch response's events in order. */
  apply(events: readonly WatchEvent[]): void {
    for (const event of events) {
      if (event.type === 'put') this.put(event.key, event.value);
      else this.members.delete(event.key);
    }
  }

  /** The full set, sorted by id, if it differs from the one taken last (always on the first call); else undefined. */
  takeChange(): ServiceInstance[] | undefined {
    const instances = sortById(this.members.values());
    const setKey = JSON.stringify(instances);
    if (setKey === this.lastTakenKey) return undefined;
    this.lastTakenKey = setKey;
    return instances;
  }

  private put(key: string, value: string): void {
    const instance = decodeInstance(this.serviceKeyPrefix, this.service, key, value);
    // A key overwritten with a value lbx cannot use no longer names a usable instance.
    if (instance === undefined) this.members.delete(key);
    else this.members.set(key, instance);
  }
}
