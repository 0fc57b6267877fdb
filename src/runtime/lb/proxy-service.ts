// Proxy mode: the LB serves lbx.v1.Backend itself and forwards each task to the backend its policy picks.
//
// Seeing every request start and end gives the policies exact in-flight counts and latencies
// (BackendLoad.callStarted/callEnded), and every outcome for outlier ejection. A backend that
// is down (or answers UNIMPLEMENTED) is retried once on another, excluding it, before the failure
// goes back to the client, which has its own budget.
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';

import type { Balancer } from '../../core/balancer.js';
import type { BackendServer, GetLoadRequest, TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import type { LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import { BackendPool } from '../client/backend-pool.js';
import { validateTask } from '../backend/validate-task.js';
import { callUnary } from '../grpc/unary.js';
import { invalidArgument, isServiceError, statusError } from '../grpc/status-errors.js';

const PROXY_ATTEMPTS = 2;
/** Deadline for a forwarded call when the client set none. */
const DEFAULT_FORWARD_TIMEOUT_MS = 30_000;
/**
 * Only a backend that is down, or is no lbx backend (UNIMPLEMENTED: it did no work), is retried:
 * after a deadline there is no time left to spend on another.
 */
const RETRYABLE: ReadonlySet<GrpcStatus> = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.UNIMPLEMENTED]);

export interface ProxyService {
  readonly implementation: BackendServer;
  close(): void;
}

export function createProxyService(balancer: Balancer): ProxyService {
  const pool = new BackendPool();

  const forward = (request: TaskRequest, address: string, deadlineUnixMs: number): Promise<TaskResponse> => {
    const client = pool.get(address);
    return callUnary(client.processTask.bind(client), request, Math.max(1, deadlineUnixMs - Date.now()));
  };

  const processTask = async (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>): Promise<void> => {
    // Checked in full here, so an invalid task is never picked for, counted, or forwarded.
    const valid = validateTask(call.request, 0);
    if (!valid.ok) return callback(invalidArgument(valid.message));
    // The client's own deadline carries over, so a forwarded call never outlives its caller.
    const deadline = call.getDeadline();
    const upstreamDeadline = deadline === Infinity ? Date.now() + DEFAULT_FORWARD_TIMEOUT_MS : new Date(deadline).getTime();
    const exclude = new Set<string>();
    let lastError: unknown;
    for (let attempt = 1; attempt <= PROXY_ATTEMPTS && !call.cancelled; attempt += 1) {
      const pick = balancer.pick({ taskKind: valid.kind, key: call.request.key, exclude });
      if (pick.kind === 'unavailable') {
        lastError = statusError(GrpcStatus.UNAVAILABLE, pick.reason);
        break;
      }
      const { backend } = pick;
      const startedAt = performance.now();
      backend.load.callStarted();
      try {
        const response = await forward(call.request, backend.address, upstreamDeadline);
        const latencyMs = performance.now() - startedAt;
        backend.load.callEnded(latencyMs, performance.now());
        pick.onDone({ ok: true, latencyMs });
        balancer.recordOutcome(backend.address, true, GrpcStatus.OK);
        // The client cannot see forwards that failed before this one; it needs them to reconcile (see run-ledger.ts).
        return callback(null, { ...response, failedForwards: attempt - 1 });
      } catch (error) {
        const latencyMs = performance.now() - startedAt;
        backend.load.callEnded(latencyMs, performance.now());
        pick.onDone({ ok: false, latencyMs });
        // Anything that is not a gRPC status (a channel that could not be made) says no more than UNKNOWN.
        balancer.recordOutcome(backend.address, false, isServiceError(error) ? error.code : GrpcStatus.UNKNOWN);
        lastError = error;
        // Only failures another backend may cure are retried; a bad request fails as it is.
        if (!isServiceError(error) || !RETRYABLE.has(error.code)) break;
        exclude.add(backend.address);
      }
    }
    callback(isServiceError(lastError) ? lastError : statusError(GrpcStatus.UNAVAILABLE, String(lastError ?? 'the client cancelled')));
  };

  return {
    implementation: {
      // A throw outside the forwarding try (a picker bug) must answer the call, not crash the LB.
      processTask: (call, callback) =>
        void processTask(call, callback).catch((error: unknown) => callback(statusError(GrpcStatus.INTERNAL, error instanceof Error ? error.message : String(error)))),
      getLoad: (_call: ServerUnaryCall<GetLoadRequest, LoadReport>, callback: sendUnaryData<LoadReport>) =>
        callback(statusError(GrpcStatus.UNIMPLEMENTED, 'this is the LB in proxy mode: ask a backend for its load')),
      // A task stream would pin every task to the one backend picked for the stream: through a proxy, tasks go one per call.
      processTasks: (call) => call.emit('error', statusError(GrpcStatus.UNIMPLEMENTED, 'this is the LB in proxy mode: send tasks with ProcessTask, one per call')),
    },
    close: () => pool.close(),
  };
}
