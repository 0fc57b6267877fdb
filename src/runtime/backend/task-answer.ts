// How a backend answers one task, whichever way it arrived (unary ProcessTask or the ProcessTasks stream):
// validate, let an injected fault decide its fate, run it, and say what the caller gets back.
import { Status as GrpcStatus } from '../grpc/status.js';

import type { TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import type { FaultInjector } from './fault-injector.js';
import type { TaskExecutor } from './task-executor.js';
import { validateTask } from './validate-task.js';

export interface BackendIdentity {
  readonly id: string;
  readonly address: string;
  readonly defaultHeavyUnits: number;
  /** Work done per requested unit is 1/speed units: a slow backend pays more for the same task. */
  readonly speed: number;
}

export type TaskAnswer =
  | { readonly kind: 'ok'; readonly response: TaskResponse }
  | { readonly kind: 'status'; readonly code: GrpcStatus; readonly message: string }
  /** An injected hang: never answered; the caller's deadline (or cancel) ends it. */
  | { readonly kind: 'hang' };

/** Answers one task; `isCancelled` says whether its caller has given up (then it is not run, or not counted as served). */
export type TaskAnswerer = (request: TaskRequest, isCancelled: () => boolean) => Promise<TaskAnswer>;

const NOT_RUN_DELAYED = 'the caller gave up during the injected latency; the task was not run';
const NOT_RUN_QUEUED = 'the caller gave up while the task was queued; it was not run';

export function createTaskAnswerer(identity: BackendIdentity, executor: TaskExecutor, faults: FaultInjector): TaskAnswerer {
  return async (request, isCancelled) => {
    const validation = validateTask(request, identity.defaultHeavyUnits);
    if (!validation.ok) return { kind: 'status', code: GrpcStatus.INVALID_ARGUMENT, message: validation.message };
    // An injected fault (lbx fault): a hung call is never answered, an errored one is answered at once, a delayed
    // one waits first; none of them is run or counted as served.
    const fate = faults.decide();
    if (fate.kind === 'hang') return { kind: 'hang' };
    if (fate.kind === 'error') return { kind: 'status', code: fate.code, message: fate.message };
    if (fate.delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, fate.delayMs));
      if (isCancelled()) return { kind: 'status', code: GrpcStatus.CANCELLED, message: NOT_RUN_DELAYED };
    }
    const unitsToRun = validation.kind === 'CPU_HEAVY' ? Math.max(1, Math.round((validation.units * fate.slowdown) / identity.speed)) : 0;
    const outcome = await executor.run(validation.kind, unitsToRun, isCancelled);
    if (outcome.kind === 'abandoned') return { kind: 'status', code: GrpcStatus.CANCELLED, message: NOT_RUN_QUEUED };
    return {
      kind: 'ok',
      response: {
        taskId: request.taskId,
        backendId: identity.id,
        backendAddress: identity.address,
        result: outcome.result,
        workUnits: validation.units,
        queuedUs: outcome.queuedMicros,
        serviceUs: outcome.serviceMicros,
        failedForwards: 0,
      },
    };
  };
}
