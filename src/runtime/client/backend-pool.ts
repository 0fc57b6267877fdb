// One cached gRPC channel per backend address, so a run never reconnects per request.
import { credentials } from '@grpc/grpc-js';

import { BackendClient } from '../wire/gen/lbx/v1/backend.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';

export class BackendPool {
  private readonly clients = new Map<string, BackendClient>();

  get(address: string): BackendClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
      this.clients.set(address, client);
    }
    return client;
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
