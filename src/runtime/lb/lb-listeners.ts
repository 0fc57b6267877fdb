// The LB's listeners: its gRPC server (picks; tasks too in proxy mode), the HTTP/2 proxy front on its port, and those started beside it (xDS, metrics).
import { startGrpcServer, startGrpcServerBehindFront, type RunningGrpcServer, type ServiceBinding } from '../grpc/grpc-server.js';
import { startH2Front, type RunningH2Front } from './h2-proxy-front.js';
import type { PickStreamOptions } from './pick-answerer.js';
import { startPickSocketFront } from './pick-socket-front.js';
import type { H2TaskForwarder } from './h2-task-forwarder.js';
import { startRelayFront } from './relay/relay-front.js';
import type { RelayTaskForwarder } from './relay/relay-task-forwarder.js';
import type { ProxyService } from './proxy-service.js';

/** A listener beside the gRPC server, as LbListeners stops it. */
export interface SideListener {
  stop(): Promise<void>;
}

/** Proxy mode's parts: the grpc-js Backend service, and with relay or h2 forwarding the forwarder whose front owns the LB's port. */
export interface ProxyParts {
  readonly service: ProxyService;
  readonly h2?: H2TaskForwarder;
  readonly relay?: RelayTaskForwarder;
}

/** The grpc-js server as LbListeners stops it, whether it listens itself or is fed by a front. */
type GrpcPart = Pick<RunningGrpcServer, 'stop'>;
/** The listener on the LB's port when grpc-js does not own it. */
type Front = Pick<RunningH2Front, 'address' | 'port' | 'stop'>;
/** What owns the LB's port: a front, or the grpc-js server itself. */
type Endpoint = Pick<RunningH2Front, 'address' | 'port'>;

/** Where the grpc-js server listens when the h2 front owns the LB's port: loopback only, on a free port. */
const INNER_HOST = '127.0.0.1';

/**
 * Side listeners are stopped after the gRPC server and in reverse order of start, on a normal stop
 * and on a failed start-up alike; a new one (xDS, metrics, …) is one add() call in startLb.
 */
export class LbListeners {
  private readonly sideListeners: SideListener[] = [];

  /** host:port clients call: the front's when one owns the port. */
  readonly address: string;
  readonly port: number;

  private constructor(
    private readonly grpc: GrpcPart,
    private readonly front: Front | undefined,
    private readonly proxy: ProxyParts | undefined,
    endpoint: Endpoint,
  ) {
    this.address = endpoint.address;
    this.port = endpoint.port;
  }

  /**
   * With relay or h2 forwarding the front takes the port and the grpc-js server moves to loopback behind it. In
   * look-aside mode with `picks`, the pick-socket front takes the port and hands grpc-js every other connection;
   * otherwise grpc-js serves the port itself.
   */
  static async start(
    host: string,
    port: number,
    services: readonly ServiceBinding[],
    proxy: ProxyParts | undefined,
    onWarning: (message: string) => void = () => undefined,
    picks?: PickStreamOptions,
  ): Promise<LbListeners> {
    if (proxy === undefined && picks !== undefined) {
      const grpc = startGrpcServerBehindFront(services);
      try {
        const front = await startPickSocketFront({ host, port, picks, grpc });
        return new LbListeners(grpc, front, proxy, front);
      } catch (error) {
        await grpc.stop(0);
        throw error;
      }
    }
    if (proxy?.h2 === undefined && proxy?.relay === undefined) {
      const grpc = await startGrpcServer(host, port, services);
      return new LbListeners(grpc, undefined, proxy, grpc);
    }
    const grpc = await startGrpcServer(INNER_HOST, 0, services);
    try {
      const innerAddress = grpc.address;
      const front =
        proxy.relay !== undefined
          ? await startRelayFront({ host, port, tasks: proxy.relay, innerAddress, onClientError: onWarning })
          : await startH2Front({ host, port, tasks: proxy.h2 as H2TaskForwarder, innerAddress });
      return new LbListeners(grpc, front, proxy, front);
    } catch (error) {
      await grpc.stop(0);
      throw error;
    }
  }

  /** Starts one more listener; when it fails, every one started so far is stopped and the error rethrown. */
  async add<T extends SideListener>(start: () => Promise<T>): Promise<T> {
    let listener: T;
    try {
      listener = await start();
    } catch (error) {
      await this.abort();
      throw error;
    }
    this.sideListeners.push(listener);
    return listener;
  }

  /** Start-up failed: everything stops at once, with no grace. */
  async abort(): Promise<void> {
    this.closeProxy();
    await this.stopSideListeners();
    await Promise.all([this.front?.stop(0), this.grpc.stop(0)]);
  }

  async stop(graceMs: number): Promise<void> {
    // Picks are answered synchronously; in proxy mode forwarded tasks get the grace to finish.
    await Promise.all([this.front?.stop(graceMs), this.grpc.stop(graceMs, this.proxy ? undefined : () => true)]);
    this.closeProxy();
    await this.stopSideListeners();
  }

  private closeProxy(): void {
    this.proxy?.service.close();
    this.proxy?.h2?.close();
    this.proxy?.relay?.close();
  }

  private async stopSideListeners(): Promise<void> {
    for (const listener of [...this.sideListeners].reverse()) await listener.stop();
  }
}
