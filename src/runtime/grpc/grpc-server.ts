// Starts a grpc-js server with the health service, and stops it with a grace period.
import type { Duplex } from 'node:stream';

import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import { HealthRegistry, ServingStatus } from './health-service.js';
import { formatHostPort } from '../../core/host-port.js';

export interface ServiceBinding {
  /** Fully qualified name for the health service, e.g. "lbx.v1.Backend". */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface RunningGrpcServer {
  readonly address: string;
  readonly port: number;
  readonly health: HealthRegistry;
  /**
   * Stops accepting and waits up to `graceMs` for calls in flight, then cancels the rest.
   * With `isIdle`, the server closes as soon as it reports no work left, instead of
   * waiting for clients to drop idle connections (a long-lived client never does).
   */
  stop(graceMs: number, isIdle?: () => boolean): Promise<void>;
}

/** Time for the last responses to be flushed once the server is idle, before connections are cut. */
const FLUSH_MS = 100;
const IDLE_POLL_MS = 20;

const SERVER_OPTIONS = {
  // lbx messages are tiny; a 4 MiB cap keeps a hostile client from making the server buffer much.
  'grpc.max_receive_message_length': 4 * 1024 * 1024,
  'grpc.enable_channelz': 0,
};

/** A grpc-js server whose connections another listener accepts and hands over (the LB's pick-socket front). */
export interface GrpcServerBehindFront {
  readonly health: HealthRegistry;
  /** Serves `connection` as if the server had accepted it; bytes already read from it must be unshifted first. */
  inject(connection: Duplex): void;
  stop: RunningGrpcServer['stop'];
}

function createServer(services: readonly ServiceBinding[]): { server: Server; health: HealthRegistry } {
  const server = new Server(SERVER_OPTIONS);
  const health = new HealthRegistry();
  server.addService(health.service, health.implementation);
  for (const service of services) server.addService(service.definition, service.implementation);
  return { server, health };
}

function markServing(health: HealthRegistry, services: readonly ServiceBinding[]): void {
  health.set('', ServingStatus.SERVING);
  for (const service of services) health.set(service.name, ServingStatus.SERVING);
}

export async function startGrpcServer(host: string, port: number, services: readonly ServiceBinding[]): Promise<RunningGrpcServer> {
  const { server, health } = createServer(services);
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(formatHostPort(host, port), ServerCredentials.createInsecure(), (error, actualPort) => {
      if (error) {
        const inUse = /EADDRINUSE|address already in use/i.test(error.message);
        reject(new LbxError(inUse ? 'usage' : 'runtime', inUse ? `port ${port} on ${host} is already in use` : `cannot listen on ${formatHostPort(host, port)}: ${error.message}`));
      } else resolve(actualPort);
    });
  });
  markServing(health, services);
  return { address: formatHostPort(host, boundPort), port: boundPort, health, stop: stopper(server, health) };
}

/** A server that listens on no port: its connections come from inject(). */
export function startGrpcServerBehindFront(services: readonly ServiceBinding[]): GrpcServerBehindFront {
  const { server, health } = createServer(services);
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  markServing(health, services);
  return { health, inject: (connection) => injector.injectConnection(connection), stop: stopper(server, health) };
}

function stopper(server: Server, health: HealthRegistry): RunningGrpcServer['stop'] {
  return async (graceMs, isIdle) => {
    health.setAllNotServing();
    health.endWatches();
    await new Promise<void>((resolve) => {
      const timers: NodeJS.Timeout[] = [];
      let done = false;
      const finish = (force: boolean): void => {
        if (done) return;
        done = true;
        for (const timer of timers) clearTimeout(timer);
        if (force) server.forceShutdown();
        resolve();
      };
      timers.push(setTimeout(() => finish(true), graceMs));
      if (isIdle) {
        const poll = (): void => {
          if (isIdle()) timers.push(setTimeout(() => finish(true), FLUSH_MS));
          else timers.push(setTimeout(poll, IDLE_POLL_MS));
        };
        poll();
      }
      server.tryShutdown(() => finish(false));
    });
  };
}
