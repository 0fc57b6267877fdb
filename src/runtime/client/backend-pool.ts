// One cached gRPC channel per backend address, and one task stream on it, so a run never reconnects per request.
import { credentials } from '@grpc/grpc-js';

import { BackendClient } from '../wire/gen/lbx/v1/backend.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { TaskStream } from './task-stream.js';

export class BackendPool {
  private readonly clients = new Map<string, BackendClient>();
  private readonly streams = new Map<string, TaskStream>();

  get(address: string): BackendClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
      this.clients.set(address, client);
    }
    return client;
  }

  /** The ProcessTasks stream to `address`, opened on first use (and again after it breaks). */
  tasks(address: string): TaskStream {
    let stream = this.streams.get(address);
    if (stream === undefined) {
      stream = new TaskStream(this.get(address));
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
}
