// `lbx fault` on a running cluster: set, clear and list the faults its backends apply. The faults live in the
// backends (lbx.v1.BackendAdmin), so they reach every client and data plane alike; the backends to talk to
// come from the supervisor's live status, and every change carries the cluster token.
import { credentials, status as GrpcStatus } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import { NO_FAULT, type FaultSpec } from '../../core/faults/fault.js';
import { faultFromWire, faultToWire } from '../backend/backend-admin-service.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { tokenInterceptor } from '../grpc/token-interceptor.js';
import { callUnary } from '../grpc/unary.js';
import { isServiceError } from '../grpc/status-errors.js';
import { BackendAdminClient, type FaultState } from '../wire/gen/lbx/v1/backend_admin.js';
import type { Component } from '../wire/gen/lbx/v1/supervisor.js';
import type { ClusterFile } from './cluster-file.js';
import { clusterPaths } from './cluster-paths.js';
import { readControlToken } from './cluster-token.js';
import { ControlClient } from './control-client.js';
import { netFaultsInForce } from '../netns/cluster-net-faults.js';

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
  /** A network fault (`up --netns`), applied by the kernel: no calls are counted for it. */
  readonly isNetwork?: boolean;
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

  /**
   * Every running backend with its fault ("none" included), in port order. A backend that does not answer (cut off
   * by a partition, say) is listed as unreachable rather than failing the whole list.
   */
  async list(): Promise<BackendFault[]> {
    const backends = await this.runningBackends();
    const outcomes = await Promise.allSettled(backends.map((backend) => this.call(backend, (client) => callUnary(client.getFault.bind(client), {}, ADMIN_TIMEOUT_MS))));
    return outcomes.map((outcome, index) => (outcome.status === 'fulfilled' ? outcome.value : unreachable(backends[index]!, outcome.reason)));
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

/** A backend whose fault could not be read: no fault known, and why in the summary. */
function unreachable(backend: Component, reason: unknown): BackendFault {
  const text = reason instanceof Error ? reason.message : String(reason);
  // grpc-js says "No connection established. Last error: Error: connect EHOSTUNREACH …": the errno is what a reader needs.
  const message = /\b(E[A-Z]{4,})\b/.exec(text)?.[1] ?? text.split('\n')[0]!.replace(/^backend \S+ \(\S+\) did not take the fault: /, '');
  return {
    name: backend.name,
    port: backend.port,
    address: backend.address,
    fault: NO_FAULT,
    summary: `unreachable (${message})`,
    setAtUnixMs: 0,
    expiresAtUnixMs: 0,
    delayed: 0,
    errored: 0,
    hung: 0,
  };
}

/** The faults in force (backends with no fault left out), best effort: a status or report never fails because a backend did not say. */
export async function faultsInForce(cluster: ClusterFile): Promise<{ readonly faults: readonly BackendFault[] } | { readonly error: string }> {
  try {
    const own = (await new ClusterFaults(cluster).list()).filter((fault) => fault.summary !== 'none');
    // `up --netns`: the kernel's faults on the backends' links, beside the backends' own (no calls counted: the kernel does not say).
    const network = (await netFaultsInForce(cluster)).map((net): BackendFault => ({ ...net, fault: NO_FAULT, delayed: 0, errored: 0, hung: 0, isNetwork: true }));
    return { faults: [...own, ...network] };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
