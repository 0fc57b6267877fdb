// The supervisor's control API (lbx.v1.Supervisor): status, kill a backend, shut down.
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

import { isLbxError } from '../../core/lbx-error.js';
import type {
  ClusterStatus,
  GetStatusRequest,
  KillBackendRequest,
  KillBackendResponse,
  ShutdownRequest,
  ShutdownResponse,
  SupervisorServer,
} from '../wire/gen/lbx/v1/supervisor.js';
import { invalidArgument, isServiceError, statusError } from '../grpc/unary.js';
import type { SetPolicyRequest, SetPolicyResponse } from '../wire/gen/lbx/v1/load_balancer.js';
import type { Supervisor } from './supervisor.js';

const KILL_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM']);

export function createControlService(supervisor: Supervisor, onShutdownRequested: () => void): SupervisorServer {
  return {
    getStatus: (_call: ServerUnaryCall<GetStatusRequest, ClusterStatus>, callback: sendUnaryData<ClusterStatus>) => {
      const file = supervisor.clusterFile;
      callback(null, {
        name: file.name,
        supervisorPid: file.supervisorPid,
        startedAtUnixMs: file.startedAtUnixMs,
        policy: file.spec.policy,
        registryKind: file.spec.registry,
        registryAddress: file.registryAddress,
        lbAddress: file.lbAddress,
        respawn: false,
        components: file.components.map((component) => ({
          name: component.name,
          role: component.role,
          address: component.address,
          port: component.port,
          pid: component.pid ?? 0,
          state: component.state,
          startedAtUnixMs: component.startedAtUnixMs ?? 0,
          exitedAtUnixMs: component.exitedAtUnixMs ?? 0,
          exitReason: component.exitReason ?? '',
          logPath: component.logPath,
          restarts: 0,
          speed: 0,
          weight: 0,
        })),
      });
    },
    killBackend: (call: ServerUnaryCall<KillBackendRequest, KillBackendResponse>, callback: sendUnaryData<KillBackendResponse>) => {
      const signal = call.request.signal || 'SIGKILL';
      if (!KILL_SIGNALS.has(signal)) {
        callback(invalidArgument(`signal "${signal}" is not supported: expected SIGKILL or SIGTERM`));
        return;
      }
      try {
        callback(null, supervisor.killBackend(call.request.port, signal as NodeJS.Signals));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        callback(statusError(isLbxError(error) ? GrpcStatus.NOT_FOUND : GrpcStatus.INTERNAL, message));
      }
    },
    setPolicy: (call: ServerUnaryCall<SetPolicyRequest, SetPolicyResponse>, callback: sendUnaryData<SetPolicyResponse>) => {
      supervisor.setPolicy(call.request).then(
        (response) => callback(null, response),
        // The LB's own status (INVALID_ARGUMENT for a bad name or setting) passes through as it came.
        (error: unknown) => callback(isServiceError(error) ? error : statusError(GrpcStatus.INTERNAL, error instanceof Error ? error.message : String(error))),
      );
    },
    shutdown: (_call: ServerUnaryCall<ShutdownRequest, ShutdownResponse>, callback: sendUnaryData<ShutdownResponse>) => {
      // Answer first: the shutdown closes this very server.
      callback(null, {});
      onShutdownRequested();
    },
    addBackend: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'not yet')),
    removeBackend: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'not yet')),
    startBackend: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'not yet')),
    scale: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'not yet')),
    killComponent: (_call, callback) => callback(statusError(GrpcStatus.UNIMPLEMENTED, 'not yet')),
  };
}
