// The standard grpc.health.v1.Health service, served by every lbx gRPC server.
import type { ServerWritableStream, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { Status as GrpcStatus } from './status.js';
import { statusError } from './status-errors.js';

import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '../wire/gen/grpc/health/v1/health.js';

export { ServingStatus };

/** Tracks the serving status per service name ("" is the whole server) and streams changes to watchers. */
export class HealthRegistry {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{ service: string; call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse> }>();

  set(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const watcher of this.watchers) {
      if (watcher.service === service) watcher.call.write({ status });
    }
  }

  /** Marks every service NOT_SERVING, as a server about to drain should. */
  setAllNotServing(): void {
    for (const service of this.statuses.keys()) this.set(service, ServingStatus.NOT_SERVING);
  }

  /** Ends open Watch streams so a server shutdown is not held up by them. */
  endWatches(): void {
    for (const watcher of this.watchers) watcher.call.end();
    this.watchers.clear();
  }

  readonly service = HealthService;

  readonly implementation: HealthServer = {
    check: (call: ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: sendUnaryData<HealthCheckResponse>) => {
      const status = this.statuses.get(call.request.service);
      if (status === undefined) {
        callback(statusError(GrpcStatus.NOT_FOUND, `unknown service "${call.request.service}"`));
        return;
      }
      callback(null, { status });
    },
    watch: (call: ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
      const watcher = { service: call.request.service, call };
      this.watchers.add(watcher);
      call.write({ status: this.statuses.get(call.request.service) ?? ServingStatus.SERVICE_UNKNOWN });
      call.on('cancelled', () => this.watchers.delete(watcher));
    },
  };
}
