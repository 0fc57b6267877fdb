// The LB's listeners: its gRPC server (picks; tasks too in proxy mode) and those started beside it (xDS, metrics).
import { startGrpcServer, type RunningGrpcServer, type ServiceBinding } from '../grpc/grpc-server.js';
import type { ProxyService } from './proxy-service.js';

/** A listener beside the gRPC server, as LbListeners stops it. */
export interface SideListener {
  stop(): Promise<void>;
}

/**
 * Side listeners are stopped after the gRPC server and in reverse order of start, on a normal stop
 * and on a failed start-up alike; a new one (xDS, metrics, …) is one add() call in startLb.
 */
export class LbListeners {
  private readonly sideListeners: SideListener[] = [];

  private constructor(
    readonly grpc: RunningGrpcServer,
    private readonly proxy: ProxyService | undefined,
  ) {}

  static async start(host: string, port: number, services: readonly ServiceBinding[], proxy: ProxyService | undefined): Promise<LbListeners> {
    return new LbListeners(await startGrpcServer(host, port, services), proxy);
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
    this.proxy?.close();
    await this.stopSideListeners();
    await this.grpc.stop(0);
  }

  async stop(graceMs: number): Promise<void> {
    // Picks are answered synchronously; in proxy mode forwarded tasks get the grace to finish.
    await this.grpc.stop(graceMs, this.proxy ? undefined : () => true);
    this.proxy?.close();
    await this.stopSideListeners();
  }

  private async stopSideListeners(): Promise<void> {
    for (const listener of [...this.sideListeners].reverse()) await listener.stop();
  }
}
