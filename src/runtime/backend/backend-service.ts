// The lbx.v1.Backend gRPC handlers: tasks one per call (ProcessTask) or many on one stream (ProcessTasks), answered alike.
import type { sendUnaryData, ServerDuplexStream, ServerUnaryCall } from '@grpc/grpc-js';

import type { BackendServer, GetLoadRequest, TaskRequest, TaskResponse, TaskStreamRequest, TaskStreamResponse } from '../wire/gen/lbx/v1/backend.js';
import type { LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { statusError } from '../grpc/status-errors.js';
import type { TaskExecutor } from './task-executor.js';
import type { FaultInjector } from './fault-injector.js';
import { createTaskAnswerer, type BackendIdentity } from './task-answer.js';
import { serveTaskStream, type TaskStreamObserver } from './task-stream-service.js';

export type { BackendIdentity } from './task-answer.js';

export function createBackendService(
  identity: BackendIdentity,
  executor: TaskExecutor,
  currentLoad: () => LoadReport,
  faults: FaultInjector,
  streamObserver?: TaskStreamObserver,
): BackendServer {
  const answer = createTaskAnswerer(identity, executor, faults);
  return {
    processTask: (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>) => {
      answer(call.request, () => call.cancelled).then((result) => {
        // A hung call is never answered: the caller's deadline ends it.
        if (result.kind === 'hang') return;
        if (result.kind === 'ok') callback(null, result.response);
        else callback(statusError(result.code, result.message));
      }, callback);
    },
    processTasks: (call: ServerDuplexStream<TaskStreamRequest, TaskStreamResponse>) => serveTaskStream(call, answer, streamObserver),
    getLoad: (_call: ServerUnaryCall<GetLoadRequest, LoadReport>, callback: sendUnaryData<LoadReport>) => {
      callback(null, currentLoad());
    },
  };
}
