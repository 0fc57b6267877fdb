// The loop behind the etcd client's watch(): a range of a service's keys, then a watch stream from the range's revision, again and again.
import { LbxError } from '../../../core/lbx-error.js';
import type { RegistryWatch, ServiceInstance } from '../registry-contract.js';
import { retryDelayMs, WatchLoop } from '../watch-loop.js';
import type { EtcdGateway, KeySpan } from './etcd-gateway.js';
import type { WatchedSet } from './watched-set.js';

export interface EtcdWatchSpec {
  gateway: EtcdGateway;
  span: KeySpan;
  set: WatchedSet;
  action: string;
  address: string;
  waitMs: number;
  retryMaxMs: number;
  onChange(instances: ServiceInstance[]): void;
  onError: ((error: Error) => void) | undefined;
  onStop(): void;
}

/**
 * The loop behind watch(): range the prefix (emitting the set if it changed), then follow a watch stream from the
 * range's revision + 1 for up to `waitMs`, then range again. A failed range or a stream that ends, is canceled
 * (compaction) or breaks is reported and retried with backoff from a fresh range, so the watch outlives an etcd restart.
 */
export function startEtcdWatch(spec: EtcdWatchSpec): RegistryWatch {
  const loop = new WatchLoop(spec.onError);
  let stopStream: (() => void) | undefined;

  const emitChange = (): void => {
    const instances = spec.set.takeChange();
    if (instances === undefined || loop.isStopped) return;
    try {
      spec.onChange(instances);
    } catch (error) {
      loop.report(error);
    }
  };

  /** Follows one stream: resolves when its time is up (or on stop()), rejects when it fails. */
  const follow = (revision: string, onCreated: () => void): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // Runs finish() after the stream's time is up; finish is defined below and only called later.
      const lifetime = setTimeout(() => finish(), spec.waitMs);
      const finish = (error?: Error): void => {
        clearTimeout(lifetime);
        stopStream = undefined;
        stream.stop();
        if (error === undefined) resolve();
        else reject(error);
      };
      const failWith = (message: string): void => finish(new LbxError('runtime', `etcd at ${spec.address} ${message} while ${spec.action}`));
      const startRevision = (BigInt(revision) + 1n).toString();
      const stream = spec.gateway.watch(spec.span, startRevision, spec.action, {
        onMessage(message) {
          switch (message.kind) {
            case 'created':
              onCreated();
              return;
            case 'events':
              spec.set.apply(message.events);
              emitChange();
              return;
            case 'progress':
              return;
            case 'canceled':
              failWith(`canceled the watch (${message.reason})`);
              return;
            case 'error':
              failWith(`reported a watch error (${message.message})`);
              return;
            case 'malformed':
              failWith(`sent a watch response lbx cannot read (${message.detail})`);
              return;
          }
        },
        onEnd: (error) => finish(error),
      });
      stopStream = () => finish();
    });

  const run = async (): Promise<void> => {
    let failures = 0;
    // Ends once stop() has stopped the loop; every pass either follows a stream or pauses.
    while (!loop.isStopped) {
      try {
        const { revision, kvs } = await spec.gateway.range(spec.span, spec.action);
        if (loop.isStopped) break;
        spec.set.reset(kvs);
        emitChange();
        await follow(revision, () => {
          failures = 0;
        });
      } catch (error) {
        if (loop.isStopped) break;
        failures += 1;
        loop.report(error);
        await loop.pause(retryDelayMs(failures, spec.retryMaxMs));
      }
    }
  };
  void run();

  return {
    stop() {
      if (!loop.stop()) return;
      stopStream?.();
      spec.onStop();
    },
  };
}
