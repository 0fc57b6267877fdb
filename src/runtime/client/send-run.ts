// Drives tasks through the cluster: per request GetServer, then ProcessTask; retries exclude the backend that failed.
//
// Every request ends exactly once, as ok or failed, in the RunLedger. A failure is final
// only when the retry budget is spent or the error cannot be cured by another backend.
import { randomUUID } from 'node:crypto';

import { credentials, status as GrpcStatus } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import type { TaskKind } from '../../core/policies/policy.js';
import { RunLedger, type RunSummary } from '../../core/stats/run-ledger.js';
import { planTasks } from '../../core/task-plan.js';
import { LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary, isServiceError, statusName } from '../grpc/unary.js';
import { BackendPool } from './backend-pool.js';
import { PickStream } from './pick-stream.js';

const GET_SERVER_TIMEOUT_MS = 2_000;

/** Codes another backend may cure: the chosen one is down, slow, or went away mid-call. */
const RETRYABLE: ReadonlySet<GrpcStatus> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.CANCELLED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

export type SendTarget =
  | { readonly kind: 'lb'; readonly address: string }
  /** The LB in proxy mode: tasks go to it, it forwards them; responses name the backend that served them. */
  | { readonly kind: 'proxy'; readonly address: string }
  /** Straight to one backend, no LB: the ceiling the benchmark compares the LB path with. */
  | { readonly kind: 'direct'; readonly address: string };

export interface SendOptions {
  readonly target: SendTarget;
  readonly simple: number;
  readonly heavy: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** CPU_HEAVY size; 0 = the backends' default. */
  readonly workUnits: number;
  /** Seed of the task order (a shuffle of SIMPLE and CPU_HEAVY); the same seed sends the same order. */
  readonly seed: number;
  readonly key?: string;
  /** Cycle through this many distinct keys ("key-0" … "key-N-1"), one per task in turn; overrides `key`. */
  readonly keys?: number;
  /** How picks reach the LB: one GetServerStream (default) or a unary GetServer call per request. */
  readonly pickTransport?: 'stream' | 'unary';
  readonly onProgress?: (done: number, total: number) => void;
}

export interface SendResult {
  readonly id: string;
  readonly clientId: string;
  readonly target: SendTarget;
  /** The LB's policy as it answered the first pick; '' in direct mode. */
  readonly policy: string;
  readonly seed: number;
  readonly startedAtUnixMs: number;
  readonly finishedAtUnixMs: number;
  readonly summary: RunSummary;
}

const TASK_TYPE: Record<TaskKind, TaskType> = { SIMPLE: TaskType.SIMPLE, CPU_HEAVY: TaskType.CPU_HEAVY };

export async function runSend(options: SendOptions): Promise<SendResult> {
  const plan = planTasks(options.simple, options.heavy, options.seed);
  const clientId = `lbx-send-${process.pid}-${randomUUID().slice(0, 8)}`;
  const ledger = new RunLedger();
  const pool = new BackendPool();
  const lb = options.target.kind === 'lb' ? new LoadBalancerClient(options.target.address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS) : undefined;
  const picks = lb && options.pickTransport !== 'unary' ? new PickStream(lb, GET_SERVER_TIMEOUT_MS) : undefined;
  let policy = '';
  let next = 0;
  let done = 0;

  const keyFor = (index: number): string => (options.keys ? `key-${index % options.keys}` : (options.key ?? ''));

  /** The backend for one attempt, and the stream's id of the pick when its end should be reported. */
  const pickBackend = async (kind: TaskKind, key: string, exclude: readonly string[]): Promise<{ address: string; pickId?: number }> => {
    // Direct and proxy targets take every task themselves; only look-aside asks the LB first.
    if (lb === undefined) return { address: options.target.address };
    const request = { clientId, taskType: TASK_TYPE[kind], key, exclude: [...exclude] };
    if (picks) {
      const pick = await picks.pick(request);
      policy ||= pick.server.policy;
      return { address: pick.server.address, pickId: pick.requestId };
    }
    const response = await callUnary(lb.getServer.bind(lb), { ...request, requestId: 0, done: [] }, GET_SERVER_TIMEOUT_MS);
    policy ||= response.policy;
    return { address: response.address };
  };

  const sendOne = async (index: number, kind: TaskKind): Promise<void> => {
    const startedAt = performance.now();
    const elapsedMicros = (): number => Math.round((performance.now() - startedAt) * 1_000);
    const exclude: string[] = [];
    const key = keyFor(index);
    let lastReason = '';
    for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
      if (attempt > 1) ledger.recordRetry();
      let address: string;
      let pickId: number | undefined;
      try {
        ({ address, pickId } = await pickBackend(kind, key, exclude));
      } catch (error) {
        lastReason = `GetServer ${statusName(error)}: ${isServiceError(error) ? error.details : String(error)}`;
        // A request the LB rejects as invalid will be rejected again; anything else may have recovered.
        if (isServiceError(error) && error.code === GrpcStatus.INVALID_ARGUMENT) break;
        continue;
      }
      const attemptStartedAt = performance.now();
      const reportDone = (ok: boolean): void => {
        if (pickId !== undefined) picks?.reportDone(pickId, performance.now() - attemptStartedAt, ok);
      };
      try {
        const backend = pool.get(address);
        const response = await callUnary(
          backend.processTask.bind(backend),
          { taskId: `${clientId}-${index}`, type: TASK_TYPE[kind], workUnits: kind === 'CPU_HEAVY' ? options.workUnits : 0, clientId, key },
          options.timeoutMs,
        );
        reportDone(true);
        // Through a proxy the response says which backend served it; credit that one.
        ledger.recordOk(options.target.kind === 'proxy' ? response.backendAddress || address : address, elapsedMicros());
        return;
      } catch (error) {
        reportDone(false);
        const code = statusName(error);
        // Through a proxy the failing backend is the LB's business; the LB's address is no backend.
        ledger.recordAttemptFailure(options.target.kind === 'proxy' ? undefined : address, code);
        lastReason = `ProcessTask ${code} at ${address}${isServiceError(error) && error.details ? `: ${error.details}` : ''}`;
        if (!isServiceError(error) || !RETRYABLE.has(error.code)) break;
        exclude.push(address);
      }
    }
    ledger.recordFailed(lastReason, elapsedMicros());
  };

  const worker = async (): Promise<void> => {
    while (next < plan.length) {
      const index = next;
      next += 1;
      await sendOne(index, plan[index] as TaskKind);
      done += 1;
      options.onProgress?.(done, plan.length);
    }
  };

  const startedAtUnixMs = Date.now();
  const startedAt = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(plan.length, 1)) }, worker));
  } finally {
    picks?.close();
    lb?.close();
    pool.close();
  }
  const summary = ledger.summary(performance.now() - startedAt);
  if (summary.sent !== plan.length) {
    throw new LbxError('runtime', `accounting error: ${plan.length} tasks planned but ${summary.sent} recorded`);
  }
  return { id: `${startedAtUnixMs}-${clientId.slice(-8)}`, clientId, target: options.target, policy, seed: options.seed, startedAtUnixMs, finishedAtUnixMs: Date.now(), summary };
}
