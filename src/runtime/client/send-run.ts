// Drives tasks through the cluster: per request GetServer, then ProcessTask; retries exclude the backend that failed.
//
// Every request ends exactly once, as ok or failed, in the RunLedger. A failure is final
// only when the retry budget is spent or the error cannot be cured by another backend.
// An LB that is down or restarting costs no retry: requests wait for it (LbWait), looking it
// up again in the registry, and fail only when the --lb-wait budget is spent.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { connectivityState, credentials, status as GrpcStatus } from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import type { TaskKind } from '../../core/policies/policy.js';
import { RunLedger, type RunSummary } from '../../core/stats/run-ledger.js';
import { planTasks } from '../../core/task-plan.js';
import { LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary, isServiceError, statusName } from '../grpc/unary.js';
import type { RegistryConnection } from '../registry/create-registry.js';
import { BackendPool } from './backend-pool.js';
import { describeLbUnavailable, isProxyUnavailable, mayHaveBeenForwarded, pickFailureAction } from './lb-failure.js';
import { LbLocator } from './lb-locator.js';
import { LbOutageClock, LbWait } from './lb-wait.js';
import { PickStream } from './pick-stream.js';
import { DEFAULT_LB_WAIT_MS } from './send-defaults.js';

const GET_SERVER_TIMEOUT_MS = 2_000;

/**
 * Codes another backend may cure: the chosen one is down, slow, or went away mid-call, or is
 * no lbx backend at all (UNIMPLEMENTED: whatever listens there did no work, so a retry is safe).
 */
const RETRYABLE: ReadonlySet<GrpcStatus> = new Set([
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.CANCELLED,
  GrpcStatus.RESOURCE_EXHAUSTED,
  GrpcStatus.UNIMPLEMENTED,
]);

export type SendTarget =
  | { readonly kind: 'lb'; readonly address: string }
  /** The LB in proxy mode: tasks go to it, it forwards them; responses name the backend that served them. */
  | { readonly kind: 'proxy'; readonly address: string }
  /** Straight to one backend, no LB: the ceiling the benchmark compares the LB path with. */
  | { readonly kind: 'direct'; readonly address: string }
  /** A stock gRPC client that takes its balancing from the LB's xDS control plane at `address` (xds-send-run.ts). */
  | { readonly kind: 'xds'; readonly address: string };

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
  /** After each task ends: how many have ended, of how many, and how many of those failed. */
  readonly onProgress?: (done: number, total: number, failed: number) => void;
  /** Where to look the LB up again while it is unreachable; without it the target's address is kept. */
  readonly registry?: RegistryConnection;
  /** How long a request waits for an LB that is down, restarting or without backends (default DEFAULT_LB_WAIT_MS). */
  readonly lbWaitMs?: number;
  /** Jitter of the pauses while waiting for the LB (default Math.random). */
  readonly random?: () => number;
  /**
   * Aborted to wind the run down (the first Ctrl-C): no new task starts, and a task in flight ends
   * with its current attempt (no retry, no wait for the LB), so the stop is bounded by one call's
   * deadline. The result then has `interrupted` set and counts only the tasks that started.
   */
  readonly stop?: AbortSignal;
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
  /** Pauses requests spent waiting for an LB that was down, restarting or without backends; they use no retries. */
  readonly lbWaits: number;
  /** Tasks the run was asked to send; more than summary.sent only when it was interrupted. */
  readonly planned: number;
  /** Stopped early (Ctrl-C, SIGTERM): summary.sent counts the tasks that started, each ended once. */
  readonly interrupted?: boolean;
}

const TASK_TYPE: Record<TaskKind, TaskType> = { SIMPLE: TaskType.SIMPLE, CPU_HEAVY: TaskType.CPU_HEAVY };

/** How one try of a request ended: served, worth another attempt, hopeless, or waiting on the LB. */
/** Before trying every backend again after all were excluded: time for a crashed one to come back, bounded by the retries. */
const RETRY_ALL_PAUSE_MS = 200;

type TryOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'retry' | 'final'; readonly reason: string; readonly pauseMs?: number }
  | { readonly kind: 'wait-for-lb'; readonly reason: string };

export async function runSend(options: SendOptions): Promise<SendResult> {
  const plan = planTasks(options.simple, options.heavy, options.seed);
  const clientId = `lbx-send-${process.pid}-${randomUUID().slice(0, 8)}`;
  const ledger = new RunLedger();
  const pool = new BackendPool();
  const { target } = options;
  const random = options.random ?? Math.random;
  const lbWaitMs = options.lbWaitMs ?? DEFAULT_LB_WAIT_MS;
  const outage = new LbOutageClock(lbWaitMs, () => performance.now());

  // Look-aside: the LB's client and pick stream, replaced when the registry names another LB.
  let lb: LoadBalancerClient | undefined;
  let picks: PickStream | undefined;
  const connectLb = (address: string): void => {
    lb = new LoadBalancerClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
    picks = options.pickTransport !== 'unary' ? new PickStream(lb, GET_SERVER_TIMEOUT_MS) : undefined;
  };
  if (target.kind === 'lb') connectLb(target.address);
  // Waiting picks on the old stream fail with CANCELLED and wait again, now for the new LB.
  const locator =
    target.kind === 'direct'
      ? undefined
      : new LbLocator(target.address, options.registry, (address) => {
          if (target.kind !== 'lb') return;
          const [oldLb, oldPicks] = [lb, picks];
          connectLb(address);
          oldPicks?.close();
          oldLb?.close();
        });
  const targetAddress = (): string => locator?.address ?? target.address;

  let policy = '';
  let next = 0;
  let done = 0;
  let lbWaits = 0;
  const isStopping = (): boolean => options.stop?.aborted === true;

  const keyFor = (index: number): string => (options.keys ? `key-${index % options.keys}` : (options.key ?? ''));

  /** The backend for one attempt, and the stream (and its id of the pick) its end should be reported to. */
  const pickBackend = async (kind: TaskKind, key: string, exclude: readonly string[]): Promise<{ address: string; pickId?: number; stream?: PickStream }> => {
    // Direct and proxy targets take every task themselves; only look-aside asks the LB first.
    if (lb === undefined) return { address: targetAddress() };
    const request = { clientId, taskType: TASK_TYPE[kind], key, exclude: [...exclude] };
    if (picks) {
      const stream = picks;
      const pick = await stream.pick(request);
      policy ||= pick.server.policy;
      return { address: pick.server.address, pickId: pick.requestId, stream };
    }
    const response = await callUnary(lb.getServer.bind(lb), { ...request, requestId: 0, done: [] }, GET_SERVER_TIMEOUT_MS);
    policy ||= response.policy;
    return { address: response.address };
  };

  /** One pick and one call; the LB being gone is reported as 'wait-for-lb' and recorded nowhere. */
  const tryOnce = async (index: number, kind: TaskKind, key: string, exclude: string[], lbWait: LbWait, startedAt: number): Promise<TryOutcome> => {
    let picked: { address: string; pickId?: number; stream?: PickStream };
    try {
      picked = await pickBackend(kind, key, exclude);
    } catch (error) {
      const action = pickFailureAction(error);
      if (action === 'wait-for-lb') return { kind: 'wait-for-lb', reason: describeLbUnavailable(error, targetAddress()) };
      if (action === 'retry-all') {
        // Every backend this request tried failed; one may be back by now (respawned, restarted).
        exclude.length = 0;
        return { kind: 'retry', reason: `GetServer ${statusName(error)}: ${isServiceError(error) ? error.details : String(error)}`, pauseMs: RETRY_ALL_PAUSE_MS };
      }
      return { kind: 'final', reason: `GetServer ${statusName(error)}: ${isServiceError(error) ? error.details : String(error)}` };
    }
    const { address, pickId, stream } = picked;
    if (target.kind === 'lb') {
      outage.answered();
      lbWait.reset();
    }
    const attemptStartedAt = performance.now();
    /** The pick's outcome goes back to the LB with the status code, which decides whether it counts towards ejection. */
    const reportDone = (ok: boolean, statusCode = 0): void => {
      if (pickId !== undefined) stream?.reportDone(pickId, performance.now() - attemptStartedAt, ok, statusCode);
    };
    const backend = pool.get(address);
    try {
      const response = await callUnary(
        backend.processTask.bind(backend),
        { taskId: `${clientId}-${index}`, type: TASK_TYPE[kind], workUnits: kind === 'CPU_HEAVY' ? options.workUnits : 0, clientId, key },
        options.timeoutMs,
      );
      reportDone(true);
      if (target.kind === 'proxy') {
        outage.answered();
        lbWait.reset();
      }
      // Forwards the proxy tried first may have been served by a backend that then died: attempts
      // that failed at no backend the client knows of, as far as reconciliation goes.
      for (let failed = 0; failed < response.failedForwards; failed += 1) ledger.recordAttemptFailure(undefined, 'proxy forward failed (retried by the LB)');
      // Through a proxy the response says which backend served it; credit that one.
      ledger.recordOk(target.kind === 'proxy' ? response.backendAddress || address : address, elapsedSince(startedAt));
      return { kind: 'ok' };
    } catch (error) {
      // Through a proxy, an LB that is down or restarting is waited for like a pick it could not give.
      if (target.kind === 'proxy' && isProxyUnavailable(error, backend.getChannel().getConnectivityState(false) === connectivityState.READY)) {
        // A call cut mid-way may have been forwarded before the LB went: a failed attempt at no known backend.
        if (mayHaveBeenForwarded(error)) ledger.recordAttemptFailure(undefined, statusName(error));
        return { kind: 'wait-for-lb', reason: describeLbUnavailable(error, address) };
      }
      reportDone(false, isServiceError(error) ? error.code : GrpcStatus.UNKNOWN);
      const code = statusName(error);
      // Through a proxy the failing backend is the LB's business; the LB's address is no backend.
      const isDeadline = isServiceError(error) && error.code === GrpcStatus.DEADLINE_EXCEEDED;
      ledger.recordAttemptFailure(target.kind === 'proxy' ? undefined : address, code, { isDeadline });
      const reason = `ProcessTask ${code} at ${address}${isServiceError(error) && error.details ? `: ${error.details}` : ''}`;
      if (!isServiceError(error) || !RETRYABLE.has(error.code)) return { kind: 'final', reason };
      exclude.push(address);
      return { kind: 'retry', reason };
    }
  };

  const sendOne = async (index: number, kind: TaskKind): Promise<void> => {
    const startedAt = performance.now();
    const exclude: string[] = [];
    const key = keyFor(index);
    const lbWait = new LbWait(outage, random);
    let attempt = 1;
    // Bounded: every pass ends the request, uses one of maxAttempts, or pauses within the LB-wait budget.
    for (;;) {
      const outcome = await tryOnce(index, kind, key, exclude, lbWait, startedAt);
      if (outcome.kind === 'ok') return;
      if (isStopping() && outcome.kind !== 'final') {
        ledger.recordFailed(`interrupted before a retry: ${outcome.reason}`, elapsedSince(startedAt));
        return;
      }
      if (outcome.kind === 'wait-for-lb') {
        const pauseMs = lbWait.nextPauseMs();
        if (pauseMs === undefined) {
          ledger.recordFailed(`gave up waiting for the LB after the --lb-wait budget (${lbWaitMs} ms): ${outcome.reason}`, elapsedSince(startedAt));
          return;
        }
        lbWaits += 1;
        void locator?.relocate();
        await sleep(pauseMs);
        continue;
      }
      if (outcome.kind === 'final' || attempt >= options.maxAttempts) {
        ledger.recordFailed(outcome.reason, elapsedSince(startedAt));
        return;
      }
      attempt += 1;
      ledger.recordRetry();
      if (outcome.kind === 'retry' && outcome.pauseMs !== undefined) await sleep(outcome.pauseMs);
    }
  };

  const worker = async (): Promise<void> => {
    while (next < plan.length && !isStopping()) {
      const index = next;
      next += 1;
      await sendOne(index, plan[index] as TaskKind);
      done += 1;
      options.onProgress?.(done, plan.length, ledger.failedCount);
    }
  };

  const startedAtUnixMs = Date.now();
  const startedAt = performance.now();
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(plan.length, 1)) }, worker));
  } finally {
    locator?.close();
    picks?.close();
    lb?.close();
    pool.close();
  }
  const summary = ledger.summary(performance.now() - startedAt);
  // `next` is the number of tasks that started: each must have ended exactly once.
  if (summary.sent !== next) {
    throw new LbxError('runtime', `accounting error: ${next} tasks started but ${summary.sent} recorded`);
  }
  const interrupted = next < plan.length;
  return {
    id: `${startedAtUnixMs}-${clientId.slice(-8)}`,
    clientId,
    target,
    policy,
    seed: options.seed,
    startedAtUnixMs,
    finishedAtUnixMs: Date.now(),
    summary,
    lbWaits,
    planned: plan.length,
    ...(interrupted ? { interrupted } : {}),
  };
}

const elapsedSince = (startedAt: number): number => Math.round((performance.now() - startedAt) * 1_000);
