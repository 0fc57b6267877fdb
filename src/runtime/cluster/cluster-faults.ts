// `lbx fault` on a running cluster: set, clear and list the faults its backends apply. The faults live in the
// backends (lbx.v1.BackendAdmin), so they reach every client and data plane alike; the backends to talk to
// come from the supervisor's live status, and every change carries the cluster token.
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import { NO_FAULT, type FaultSpec } from '../../core/faults/fault.js';
import { faultFromWire, faultToWire } from '../backend/backend-admin-service.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { tokenInterceptor } from '../grpc/bearer-token.js';
import { callUnary, isServiceError } from '../grpc/unary.js';
import { BackendAdminClient, type FaultState } from '../wire/gen/lbx/v1/backend_admin.js';
import type { Component } from '../wire/gen/lbx/v1/supervisor.js';
import type { ClusterFile } from './cluster-file.js';
import { clusterPaths } from './cluster-paths.js';
import { readControlToken } from './cluster-token.js';
import { ControlClient } from './control-client.js';

const ADMIN_TIMEOUT_MS = 3_000;

export interface BackendFault {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  readonly fault: FaultSpec;
  /** "none" when the backend has no fault. */
  readonly summary: string;
  readonly setAtUnixMs: number;
  readonly expiresAtUnixMs: number;
  readonly delayed: number;
  readonly errored: number;
  readonly hung: number;
}

export class ClusterFaults {
  private readonly token: string;

  constructor(private readonly cluster: ClusterFile) {
    this.token = readControlToken(clusterPaths(cluster.name));
  }

  /** Sets (or, with NO_FAULT, clears) the fault of the backend on `port`; it must be running. */
  async set(port: number, fault: FaultSpec): Promise<BackendFault> {
    const backend = (await this.runningBackends()).find((component) => component.port === port);
    if (backend === undefined) {
      throw new LbxError('usage', `no running backend on port ${port} in cluster "${this.cluster.name}"`, ['lbx status lists the backends and their ports']);
    }
    return this.call(backend, (client) => callUnary(client.setFault.bind(client), { fault: faultToWire(fault) }, ADMIN_TIMEOUT_MS));
  }

  /** Clears every running backend's fault. */
  async clearAll(): Promise<BackendFault[]> {
    const backends = await this.runningBackends();
    return Promise.all(backends.map((backend) => this.call(backend, (client) => callUnary(client.setFault.bind(client), { fault: faultToWire(NO_FAULT) }, ADMIN_TIMEOUT_MS))));
  }

  /** Every running backend with its fault ("none" included), in port order. */
  async list(): Promise<BackendFault[]> {
    const backends = await this.runningBackends();
    return Promise.all(backends.map((backend) => this.call(backend, (client) => callUnary(client.getFault.bind(client), {}, ADMIN_TIMEOUT_MS))));
  }

  private async runningBackends(): Promise<Component[]> {
    const control = new ControlClient(this.cluster);
    try {
      const status = await control.status();
      return status.components.filter((component) => component.role === 'backend' && component.state === 'ready').sort((a, b) => a.port - b.port);
    } finally {
      control.close();
    }
  }

  private async call(backend: Component, method: (client: BackendAdminClient) => Promise<FaultState>): Promise<BackendFault> {
    const client = new BackendAdminClient(backend.address, credentials.createInsecure(), { ...CLIENT_CHANNEL_OPTIONS, interceptors: [tokenInterceptor(this.token)] });
    try {
      const state = await method(client);
      return {
        name: backend.name,
        port: backend.port,
        address: backend.address,
        fault: faultFromWire(state.fault),
        summary: state.summary,
        setAtUnixMs: state.setAtUnixMs,
        expiresAtUnixMs: state.expiresAtUnixMs,
        delayed: state.delayed,
        errored: state.errored,
        hung: state.hung,
      };
    } catch (error) {
      if (isServiceError(error) && error.code === GrpcStatus.INVALID_ARGUMENT) throw new LbxError('usage', error.details);
      const message = isServiceError(error) ? error.details : error instanceof Error ? error.message : String(error);
      throw new LbxError('runtime', `backend ${backend.name} (${backend.address}) did not take the fault: ${message}`);
    } finally {
      client.close();
    }
  }
}

/** The faults in force (backends with no fault left out), best effort: a status or report never fails because a backend did not say. */
export async function faultsInForce(cluster: ClusterFile): Promise<{ readonly faults: readonly BackendFault[] } | { readonly error: string }> {
  try {
    return { faults: (await new ClusterFaults(cluster).list()).filter((fault) => fault.summary !== 'none') };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
