// One cached gRPC channel per backend address, and one task stream on it, so a run never reconnects per request.
import { connectivityState, credentials } from '@grpc/grpc-js';

import { BackendClient } from '../wire/gen/lbx/v1/backend.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { TaskStream } from './task-stream.js';

/**
 * A channel whose connects failed waits out grpc-js's reconnect backoff (up to a second) in TRANSIENT_FAILURE and fails
 * every call at once meanwhile, even after its backend is back. The pool is asked for a backend because the LB has just
 * picked it, which is fresher news than the channel's last failed connect: such a channel is replaced by a new one that
 * connects at once, at most this often per address, so a backend that is really down is not dialled in a loop.
 */
export const FAILED_CHANNEL_REPLACE_INTERVAL_MS = 100;

export class BackendPool {
  private readonly clients = new Map<string, BackendClient>();
  private readonly streams = new Map<string, TaskStream>();
  private readonly replacedAt = new Map<string, number>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  get(address: string): BackendClient {
    let client = this.clients.get(address);
    if (client !== undefined && this.isWorthReplacing(address, client)) {
      this.drop(address, client);
      client = undefined;
    }
    if (client === undefined) {
      client = new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
      this.clients.set(address, client);
    }
    return client;
  }

  /** The ProcessTasks stream to `address`, opened on first use (and again after it breaks). */
  tasks(address: string): TaskStream {
    const client = this.get(address);
    let stream = this.streams.get(address);
    if (stream === undefined) {
      stream = new TaskStream(client);
      this.streams.set(address, stream);
    }
    return stream;
  }

  close(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private isWorthReplacing(address: string, client: BackendClient): boolean {
    if (client.getChannel().getConnectivityState(false) !== connectivityState.TRANSIENT_FAILURE) return false;
    const now = this.now();
    if (now - (this.replacedAt.get(address) ?? -Infinity) < FAILED_CHANNEL_REPLACE_INTERVAL_MS) return false;
    this.replacedAt.set(address, now);
    return true;
  }

  /** A channel in TRANSIENT_FAILURE carries no call, and its task stream has already failed (or fails now, UNAVAILABLE). */
  private drop(address: string, client: BackendClient): void {
    this.streams.get(address)?.close();
    this.streams.delete(address);
    client.close();
    this.clients.delete(address);
  }
}
