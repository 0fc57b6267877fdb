// Talks to a running supervisor's control API; errors name the cluster and the address.
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import {
  SupervisorClient,
  type AddBackendRequest,
  type BackendChange,
  type ClusterStatus,
  type KillBackendResponse,
  type NetFault,
  type NetFaultState,
  type ScaleResponse,
} from '../wire/gen/lbx/v1/supervisor.js';
import type { SetPolicyRequest, SetPolicyResponse } from '../wire/gen/lbx/v1/load_balancer.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { isServiceError } from '../grpc/status-errors.js';
import { tokenInterceptor } from '../grpc/token-interceptor.js';
import { readControlToken } from './cluster-token.js';
import type { ClusterFile } from './cluster-file.js';
import { clusterPaths, type ClusterPaths } from './cluster-paths.js';

const CONTROL_TIMEOUT_MS = 5_000;

/** What a control client needs: the cluster's name (for its token and messages) and the supervisor's address. */
export type ControlTarget = Pick<ClusterFile, 'name' | 'controlAddress'>;

export class ControlClient {
  private readonly client: SupervisorClient;

  /** Throws an LbxError when the cluster's control token cannot be read (another user's cluster). */
  constructor(
    private readonly cluster: ControlTarget,
    paths: ClusterPaths = clusterPaths(cluster.name),
  ) {
    const token = readControlToken(paths);
    this.client = new SupervisorClient(cluster.controlAddress, credentials.createInsecure(), {
      ...CLIENT_CHANNEL_OPTIONS,
      interceptors: [tokenInterceptor(token)],
    });
  }

  status(timeoutMs = CONTROL_TIMEOUT_MS): Promise<ClusterStatus> {
    return this.call(() => callUnary(this.client.getStatus.bind(this.client), {}, timeoutMs));
  }

  killBackend(port: number, signal: 'SIGKILL' | 'SIGTERM'): Promise<KillBackendResponse> {
    return this.call(() => callUnary(this.client.killBackend.bind(this.client), { port, signal }, CONTROL_TIMEOUT_MS));
  }

  killComponent(component: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<KillBackendResponse> {
    return this.call(() => callUnary(this.client.killComponent.bind(this.client), { component, signal }, CONTROL_TIMEOUT_MS));
  }

  addBackend(request: AddBackendRequest, timeoutMs: number): Promise<BackendChange> {
    return this.call(() => callUnary(this.client.addBackend.bind(this.client), request, timeoutMs));
  }

  startBackend(port: number, timeoutMs: number): Promise<BackendChange> {
    return this.call(() => callUnary(this.client.startBackend.bind(this.client), { port }, timeoutMs));
  }

  removeBackend(port: number, timeoutMs: number): Promise<BackendChange> {
    return this.call(() => callUnary(this.client.removeBackend.bind(this.client), { port }, timeoutMs));
  }

  scale(backends: number, timeoutMs: number): Promise<ScaleResponse> {
    return this.call(() => callUnary(this.client.scale.bind(this.client), { backends }, timeoutMs));
  }

  setPolicy(request: SetPolicyRequest): Promise<SetPolicyResponse> {
    return this.call(() => callUnary(this.client.setPolicy.bind(this.client), request, CONTROL_TIMEOUT_MS));
  }

  setNetFault(port: number, fault: NetFault): Promise<NetFaultState> {
    return this.call(() => callUnary(this.client.setNetFault.bind(this.client), { port, fault }, CONTROL_TIMEOUT_MS));
  }

  async listNetFaults(): Promise<NetFaultState[]> {
    return (await this.call(() => callUnary(this.client.listNetFaults.bind(this.client), {}, CONTROL_TIMEOUT_MS))).faults;
  }

  shutdown(): Promise<void> {
    return this.call(async () => {
      await callUnary(this.client.shutdown.bind(this.client), {}, CONTROL_TIMEOUT_MS);
    });
  }

  close(): void {
    this.client.close();
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const callersMistake = [GrpcStatus.NOT_FOUND, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION];
      if (isServiceError(error) && callersMistake.includes(error.code)) {
        throw new LbxError('usage', error.details);
      }
      // The supervisor answered that the change failed (a scale whose starts failed): its words, as they came.
      if (isServiceError(error) && error.code === GrpcStatus.ABORTED) throw new LbxError('runtime', error.details);
      const detail = isServiceError(error) ? error.details : String(error);
      throw new LbxError('runtime', `supervisor of cluster "${this.cluster.name}" at ${this.cluster.controlAddress} did not answer: ${detail}`);
    }
  }
}
