// The lbx.v1.Backend gRPC handlers: validate, run the task, answer.
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

import type { BackendServer, GetLoadRequest, TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import type { LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { invalidArgument, statusError } from '../grpc/unary.js';
import type { TaskExecutor } from './task-executor.js';
import { validateTask } from './validate-task.js';

export interface BackendIdentity {
  readonly id: string;
  readonly address: string;
  readonly defaultHeavyUnits: number;
  /** Work done per requested unit is 1/speed units: a slow backend pays more for the same task. */
  readonly speed: number;
}

export function createBackendService(identity: BackendIdentity, executor: TaskExecutor, currentLoad: () => LoadReport): BackendServer {
  return {
    processTask: (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>) => {
      const request = call.request;
      const validation = validateTask(request, identity.defaultHeavyUnits);
      if (!validation.ok) {
        callback(invalidArgument(validation.message));
        return;
      }
      const unitsToRun = validation.kind === 'CPU_HEAVY' ? Math.max(1, Math.round(validation.units / identity.speed)) : 0;
      executor
        .run(validation.kind, unitsToRun, () => call.cancelled)
        .then((outcome) => {
          if (outcome.kind === 'abandoned') {
            callback(statusError(GrpcStatus.CANCELLED, 'the caller gave up while the task was queued; it was not run'));
            return;
          }
          callback(null, {
            taskId: request.taskId,
            backendId: identity.id,
            backendAddress: identity.address,
            result: outcome.result,
            workUnits: validation.units,
            queuedUs: outcome.queuedMicros,
            serviceUs: outcome.serviceMicros,
            failedForwards: 0,
          });
        }, callback);
    },
    getLoad: (_call: ServerUnaryCall<GetLoadRequest, LoadReport>, callback: sendUnaryData<LoadReport>) => {
      callback(null, currentLoad());
    },
  };
}
