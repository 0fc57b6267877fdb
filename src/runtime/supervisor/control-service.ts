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
import { invalidArgument, isServiceError, statusError } from '../grpc/status-errors.js';
import type { SetPolicyRequest, SetPolicyResponse } from '../wire/gen/lbx/v1/load_balancer.js';
import type { Supervisor } from './supervisor.js';

import { MAX_SPEED, MAX_WEIGHT, MIN_SPEED, MIN_WEIGHT } from '../../core/trait-bounds.js';
import { netFaultHandlers } from './net-fault-handlers.js';

const KILL_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM']);

/** 0 (unset) means 1; anything else must be a finite number within bounds. The message, when it is not. */
function checkTrait(name: string, value: number, min: number, max: number): number | string {
  if (value === 0) return 1;
  return Number.isFinite(value) && value >= min && value <= max ? value : `${name} ${value} is not valid: expected a number from ${min} to ${max}`;
}

/**
 * Answers with the outcome of a supervisor operation: the caller's mistakes (an LbxError:
 * unknown port, already running, last backend) as FAILED_PRECONDITION with their message, a
 * change that failed on its way (an LbxError: backends that did not start) as ABORTED with
 * its message, anything else as INTERNAL.
 */
function answer<T>(outcome: Promise<T>, callback: sendUnaryData<T>): void {
  outcome.then(
    (value) => callback(null, value),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const code = !isLbxError(error) ? GrpcStatus.INTERNAL : error.code === 'usage' ? GrpcStatus.FAILED_PRECONDITION : GrpcStatus.ABORTED;
      callback(statusError(code, message));
    },
  );
}

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
        respawn: file.spec.respawn === true,
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
          restarts: component.restarts ?? 0,
          speed: component.speed ?? 0,
          weight: component.weight ?? 0,
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
    addBackend: (call, callback) => {
      const speed = checkTrait('speed', call.request.speed, MIN_SPEED, MAX_SPEED);
      const weight = checkTrait('weight', call.request.weight, MIN_WEIGHT, MAX_WEIGHT);
      if (typeof speed === 'string') return callback(invalidArgument(speed));
      if (typeof weight === 'string') return callback(invalidArgument(weight));
      answer(supervisor.addBackend({ speed, weight }), callback);
    },
    removeBackend: (call, callback) => answer(supervisor.removeBackend(call.request.port), callback),
    startBackend: (call, callback) => answer(supervisor.startBackend(call.request.port), callback),
    scale: (call, callback) => {
      const started = performance.now();
      answer(
        supervisor.scale(call.request.backends).then((change) => ({ ...change, elapsedMs: Math.round(performance.now() - started) })),
        callback,
      );
    },
    ...netFaultHandlers(supervisor, answer),
    killComponent: (call, callback) => {
      const signal = call.request.signal || 'SIGKILL';
      if (!KILL_SIGNALS.has(signal)) return callback(invalidArgument(`signal "${signal}" is not supported: expected SIGKILL or SIGTERM`));
      answer(
        Promise.resolve().then(() => supervisor.killComponent(call.request.component, signal as NodeJS.Signals)),
        callback,
      );
    },
  };
}
