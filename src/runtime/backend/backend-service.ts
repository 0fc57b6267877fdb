// The lbx.v1.Backend gRPC handlers: validate, run the task, answer.
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

import type { BackendServer, GetLoadRequest, TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import type { LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { invalidArgument, statusError } from '../grpc/unary.js';
import type { TaskExecutor } from './task-executor.js';
import { validateTask } from './validate-task.js';
import type { FaultInjector } from './fault-injector.js';

export interface BackendIdentity {
  readonly id: string;
  readonly address: string;
  readonly defaultHeavyUnits: number;
  /** Work done per requested unit is 1/speed units: a slow backend pays more for the same task. */
  readonly speed: number;
}

export function createBackendService(identity: BackendIdentity, executor: TaskExecutor, currentLoad: () => LoadReport, faults: FaultInjector): BackendServer {
  return {
    processTask: (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>) => {
      const request = call.request;
      const validation = validateTask(request, identity.defaultHeavyUnits);
      if (!validation.ok) {
        callback(invalidArgument(validation.message));
        return;
      }
      // An injected fault (lbx fault): a hung call is never answered (the caller's deadline ends it), an errored
      // one is answered at once, a delayed one waits first; none of them is run or counted as served.
      const fate = faults.decide();
      if (fate.kind === 'hang') return;
      if (fate.kind === 'error') return callback(statusError(fate.code, fate.message));
      const run = (): void => {
        if (call.cancelled) return callback(statusError(GrpcStatus.CANCELLED, 'the caller gave up during the injected latency; the task was not run'));
        const unitsToRun = validation.kind === 'CPU_HEAVY' ? Math.max(1, Math.round((validation.units * fate.slowdown) / identity.speed)) : 0;
        runTask(unitsToRun);
      };
      const runTask = (unitsToRun: number): void => {
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
      };
      if (fate.delayMs > 0) setTimeout(run, fate.delayMs);
      else run();
    },
    getLoad: (_call: ServerUnaryCall<GetLoadRequest, LoadReport>, callback: sendUnaryData<LoadReport>) => {
      callback(null, currentLoad());
    },
  };
}
