// Drives tasks through the cluster: per request GetServer, then ProcessTask; retries exclude the backend that failed.
//
// Every request ends exactly once, as ok or failed, in the RunLedger. A failure is final
// only when the retry budget is spent or the error cannot be cured by another backend.
// An LB that is down or restarting costs no retry: requests wait for it (LbWait), looking it
// up again in the registry, and fail only when the --lb-wait budget is spent.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { connectivityState, credentials, Metadata, status as GrpcStatus } from '@grpc/grpc-js';

import { hostOf, portOf } from '../../core/host-port.js';
import { LbxError } from '../../core/lbx-error.js';
import type { TaskKind } from '../../core/policies/policy.js';
import { RunLedger } from '../../core/stats/run-ledger.js';
import { planTasks } from '../../core/task-plan.js';
import { LoadBalancerClient } from '../wire/gen/lbx/v1/load_balancer.js';
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import type { TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import { LB_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { isServiceError, statusName } from '../grpc/status-errors.js';
import { BackendPool } from './backend-pool.js';
import { RetryBudget } from '../../core/retry-budget.js';
import { XDS_HASH_HEADER } from '../../core/xds/xds-plan.js';
import { describeLbUnavailable, isProxyUnavailable, mayHaveBeenForwarded, pickFailureAction } from './lb-failure.js';
import { LbLocator } from './lb-locator.js';
import { LbOutageClock, LbWait } from './lb-wait.js';
import { PickStream } from './pick-stream.js';
import type { Picks } from './pending-picks.js';
import { SocketPickStream } from './socket-pick-stream.js';
import { runHedged, type HedgeGate } from './hedged-send.js';
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

import type { SendOptions, SendResult } from './send-options.js';

export type { SendOptions, SendResult, SendTarget } from './send-options.js';

const TASK_TYPE: Record<TaskKind, TaskType> = { SIMPLE: TaskType.SIMPLE, CPU_HEAVY: TaskType.CPU_HEAVY };

/**
 * NGINX (and Envoy) reset the client's stream with INTERNAL_ERROR when the backend dies mid-call, where lbx's own
 * proxy answers UNAVAILABLE: grpc-js reports that as INTERNAL "Received RST_STREAM with code 2". Through a proxy it
 * means the call was cut, not that the task is bad, so it is retried like UNAVAILABLE (a backend that served it
 * before dying shows as an attempt failed at no known backend, which reconciliation allows for).
 */
const isProxyStreamReset = (code: number, details: string): boolean => code === GrpcStatus.INTERNAL && /Received RST_STREAM/.test(details);

/** Through a proxy the key travels as the x-lbx-key header too: HAProxy and NGINX hash headers, not messages. */
function keyMetadata(key: string): Metadata {
  const metadata = new Metadata();
  metadata.set(XDS_HASH_HEADER, key);
  return metadata;
}

const HEDGE_LOST = 'answered after another hedged attempt had won';
const HEDGE_CANCELLED = 'CANCELLED: another hedged attempt answered first';

/** Before trying every backend again after all were excluded: time for a crashed one to come back, bounded by the retries. */
const RETRY_ALL_PAUSE_MS = 200;

/** How one try of a request ended: served, worth another attempt, hopeless, or waiting on the LB. */
type TryOutcome =
  { readonly kind: 'ok' } | { readonly kind: 'retry' | 'final'; readonly reason: string; readonly pauseMs?: number } | { readonly kind: 'wait-for-lb'; readonly reason: string };

/** Sends the run's tasks; with `workers` > 1 they are shared by worker threads, and `ledger` is where this thread records. */
export async function runSend(options: SendOptions, ledger: RunLedger = new RunLedger()): Promise<SendResult> {
  if ((options.workers ?? 1) > 1) {
    const { runSendInWorkers } = await import('./send-workers.js');
    return runSendInWorkers(options);
  }
  return new SendSession(options, ledger).run();
}

/**
 * How this run asks the LB for picks: on the pick socket (the default: the LB's port, a bare TCP exchange, falling back
 * to the gRPC stream against an LB without one), on GetServerBatchStream, or a unary GetServer per pick.
 */
function openPicks(lb: LoadBalancerClient, address: string, transport: NonNullable<SendOptions['pickTransport']>): Picks | undefined {
  if (transport === 'unary') return undefined;
  const port = portOf(address);
  if (transport === 'stream' || port === undefined) return new PickStream(lb, GET_SERVER_TIMEOUT_MS);
  return new SocketPickStream(hostOf(address), port, GET_SERVER_TIMEOUT_MS, () => new PickStream(lb, GET_SERVER_TIMEOUT_MS));
}

/**
 * The picked backend of one attempt. A pick from a pick connection (a StreamedPick, kept as it came) also names its id
 * and the connection its end is reported to, and the policy's name when the LB announces it.
 */
interface Picked {
  readonly address: string;
  readonly policy?: string;
  readonly requestId?: number;
  readonly source?: Picks;
}

/**
 * One run's state, in one place: the plan, the ledger every request ends in, the LB connection (replaced when the
 * registry names another LB), and the counters the workers share. Workers take tasks from `next` in turn.
 */
class SendSession {
  private readonly plan: TaskKind[];
  /** A worker's share of the plan (indices into it); undefined: every task. */
  private readonly slice: number[] | undefined;
  private readonly clientId = `lbx-send-${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly pool = new BackendPool();
  private readonly random: () => number;
  private readonly lbWaitMs: number;
  private readonly outage: LbOutageClock;
  private readonly locator: LbLocator | undefined;
  /** Look-aside only: the LB's client and pick stream. */
  private lb: LoadBalancerClient | undefined;
  private picks: Picks | undefined;
  private policy = '';
  /** Tasks started (the next one to take), ended, and pauses spent waiting for the LB. */
  private next = 0;
  private done = 0;
  /** Tasks between their first attempt and their end: what the retry budget is a share of. */
  private active = 0;
  private readonly retryBudget: RetryBudget | undefined;
  private lbWaits = 0;
  private directTurn = -1;

  constructor(
    private readonly options: SendOptions,
    private readonly ledger: RunLedger,
  ) {
    this.plan = planTasks(options.simple, options.heavy, options.seed);
    const share = options.workerSlice;
    this.slice = share === undefined ? undefined : this.plan.map((_, index) => index).filter((index) => index % share.count === share.index);
    this.retryBudget = options.retryBudget === undefined ? undefined : new RetryBudget(options.retryBudget);
    this.random = options.random ?? Math.random;
    this.lbWaitMs = options.lbWaitMs ?? DEFAULT_LB_WAIT_MS;
    this.outage = new LbOutageClock(this.lbWaitMs, () => performance.now());
    const { target } = options;
    if (target.kind === 'lb') this.connectLb(target.address);
    // Waiting picks on the old stream fail with CANCELLED and wait again, now for the new LB.
    this.locator =
      target.kind === 'direct'
        ? undefined
        : new LbLocator(target.address, options.registry, (address) => {
            if (target.kind !== 'lb') return;
            const [oldLb, oldPicks] = [this.lb, this.picks];
            this.connectLb(address);
            oldPicks?.close();
            oldLb?.close();
          });
  }

  async run(): Promise<SendResult> {
    const startedAtUnixMs = Date.now();
    const startedAt = performance.now();
    try {
      await Promise.all(Array.from({ length: Math.min(this.options.concurrency, Math.max(this.taskCount, 1)) }, () => this.worker()));
    } finally {
      this.locator?.close();
      this.picks?.close();
      this.lb?.close();
      this.pool.close();
    }
    const summary = this.ledger.summary(performance.now() - startedAt);
    // `next` is the number of tasks that started: each must have ended exactly once.
    if (summary.sent !== this.next) {
      throw new LbxError('runtime', `accounting error: ${this.next} tasks started but ${summary.sent} recorded`);
    }
    const interrupted = this.next < this.taskCount;
    return {
      id: `${startedAtUnixMs}-${this.clientId.slice(-8)}`,
      clientId: this.clientId,
      target: this.options.target,
      policy: this.policy,
      seed: this.options.seed,
      startedAtUnixMs,
      finishedAtUnixMs: Date.now(),
      summary,
      lbWaits: this.lbWaits,
      planned: this.taskCount,
      ...(interrupted ? { interrupted } : {}),
    };
  }

  private connectLb(address: string): void {
    this.lb = new LoadBalancerClient(address, credentials.createInsecure(), LB_CHANNEL_OPTIONS);
    this.picks = openPicks(this.lb, address, this.options.pickTransport ?? 'socket');
  }

  private targetAddress(): string {
    return this.locator?.address ?? this.options.target.address;
  }

  /** A direct run over several backends takes them in turn (no LB, no policy): undefined for every other target. */
  private directAddress(): string | undefined {
    const { target } = this.options;
    if (target.kind !== 'direct' || target.addresses === undefined || target.addresses.length === 0) return undefined;
    this.directTurn = (this.directTurn + 1) % target.addresses.length;
    return target.addresses[this.directTurn];
  }

  private isStopping(): boolean {
    return this.options.stop?.aborted === true;
  }

  private keyFor(index: number): string {
    return this.options.keys ? `key-${index % this.options.keys}` : (this.options.key ?? '');
  }

  /** Tasks this session sends: the whole plan, or a worker's share. */
  private get taskCount(): number {
    return this.slice?.length ?? this.plan.length;
  }

  private async worker(): Promise<void> {
    while (this.next < this.taskCount && !this.isStopping()) {
      const index = this.slice === undefined ? this.next : (this.slice[this.next] as number);
      this.next += 1;
      this.active += 1;
      await this.sendOne(index, this.plan[index] as TaskKind).finally(() => (this.active -= 1));
      this.done += 1;
      this.options.onProgress?.(this.done, this.taskCount, this.ledger.failedCount);
    }
  }

  /** One request to its end: tries, retries on another backend, waits for the LB; recorded exactly once. */
  private async sendOne(index: number, kind: TaskKind): Promise<void> {
    if (this.options.hedgeDelayMs !== undefined) return this.sendHedged(index, kind, this.options.hedgeDelayMs);
    const held = { isRetry: false };
    try {
      await this.attemptUntilDone(index, kind, held);
    } finally {
      // A retry that ended its request without an answer (the LB-wait budget ran out) gives its place back.
      if (held.isRetry) this.retryBudget?.finish();
    }
  }

  private async attemptUntilDone(index: number, kind: TaskKind, held: { isRetry: boolean }): Promise<void> {
    const startedAt = performance.now();
    const exclude: string[] = [];
    const key = this.keyFor(index);
    const lbWait = new LbWait(this.outage, this.random);
    let attempt = 1;
    // Bounded: every pass ends the request, uses one of maxAttempts, or pauses within the LB-wait budget.
    for (;;) {
      const outcome = await this.tryOnce(index, kind, key, exclude, lbWait, startedAt);
      if (held.isRetry && outcome.kind !== 'wait-for-lb') {
        this.retryBudget?.finish();
        held.isRetry = false;
      }
      if (outcome.kind === 'ok') return;
      if (this.isStopping() && outcome.kind !== 'final') {
        this.ledger.recordFailed(`interrupted before a retry: ${outcome.reason}`, elapsedSince(startedAt));
        return;
      }
      if (outcome.kind === 'wait-for-lb') {
        const pauseMs = lbWait.nextPauseMs();
        if (pauseMs === undefined) {
          this.ledger.recordFailed(`gave up waiting for the LB after the --lb-wait budget (${this.lbWaitMs} ms): ${outcome.reason}`, elapsedSince(startedAt));
          return;
        }
        this.lbWaits += 1;
        void this.locator?.relocate();
        await sleep(pauseMs);
        continue;
      }
      if (outcome.kind === 'final' || attempt >= this.options.maxAttempts) {
        this.ledger.recordFailed(outcome.reason, elapsedSince(startedAt));
        return;
      }
      if (this.retryBudget !== undefined) {
        if (!this.retryBudget.tryStart(this.active)) {
          const limit = this.retryBudget.limit(this.active);
          this.ledger.recordFailed(`${outcome.reason}; not retried: the retry budget (${limit} retries in flight with ${this.active} tasks) is spent`, elapsedSince(startedAt));
          return;
        }
        held.isRetry = true;
      }
      attempt += 1;
      this.ledger.recordRetry();
      if (outcome.kind === 'retry' && outcome.pauseMs !== undefined) await sleep(outcome.pauseMs);
    }
  }

  /** A hedged task: attempts overlap, the first answer is the one counted, the others are cancelled. */
  private async sendHedged(index: number, kind: TaskKind, delayMs: number): Promise<void> {
    const startedAt = performance.now();
    const exclude: string[] = [];
    const key = this.keyFor(index);
    const lbWait = new LbWait(this.outage, this.random);
    const end = await runHedged((gate) => this.tryOnce(index, kind, key, exclude, lbWait, startedAt, gate), {
      delayMs,
      maxAttempts: this.options.maxAttempts,
      isStopping: () => this.isStopping(),
      onHedge: () => this.ledger.recordHedge(),
    });
    if (end.kind === 'failed') this.ledger.recordFailed(end.reason, elapsedSince(startedAt));
  }

  /**
   * The backend for one attempt: the LB's pick in look-aside mode; direct and proxy targets take every task themselves.
   * Not async: a pick connection's promise is handed on as it is, one promise and one turn of the microtask queue fewer
   * per task than an async wrapper (issue 14).
   */
  private pickBackend(kind: TaskKind, key: string, exclude: readonly string[]): Picked | Promise<Picked> {
    if (this.lb === undefined) return { address: this.directAddress() ?? this.targetAddress() };
    if (this.picks) return this.picks.pick(TASK_TYPE[kind], key, exclude);
    return this.pickUnary(this.lb, kind, key, exclude);
  }

  private async pickUnary(lb: LoadBalancerClient, kind: TaskKind, key: string, exclude: readonly string[]): Promise<Picked> {
    const request = { clientId: this.clientId, taskType: TASK_TYPE[kind], key, exclude: [...exclude], requestId: 0, done: [] };
    const response = await callUnary(lb.getServer.bind(lb), request, GET_SERVER_TIMEOUT_MS);
    return { address: response.address, policy: response.policy };
  }

  /** One pick and one call; the LB being gone is reported as 'wait-for-lb' and recorded nowhere. */
  private async tryOnce(index: number, kind: TaskKind, key: string, exclude: string[], lbWait: LbWait, startedAt: number, gate?: HedgeGate): Promise<TryOutcome> {
    let picked: Picked;
    try {
      picked = await this.pickBackend(kind, key, exclude);
    } catch (error) {
      const action = pickFailureAction(error);
      if (action === 'wait-for-lb') return { kind: 'wait-for-lb', reason: describeLbUnavailable(error, this.targetAddress()) };
      const reason = `GetServer ${statusName(error)}: ${isServiceError(error) ? error.details : String(error)}`;
      if (action !== 'retry-all') return { kind: 'final', reason };
      // Every backend this request tried failed; one may be back by now (respawned, restarted).
      exclude.length = 0;
      return { kind: 'retry', reason, pauseMs: RETRY_ALL_PAUSE_MS };
    }
    this.policy ||= picked.policy ?? '';
    if (this.options.target.kind === 'lb') {
      this.outage.answered();
      lbWait.reset();
    }
    // A hedge must go elsewhere: the backends of attempts under way are excluded from the next pick.
    if (gate !== undefined && !exclude.includes(picked.address)) exclude.push(picked.address);
    return this.callBackend(index, kind, key, picked, exclude, lbWait, startedAt, gate);
  }

  /** One task on `address`: on its task stream where one serves, else (proxies, --task-transport unary) a unary call. */
  private processTask(address: string, task: TaskRequest, signal: AbortSignal | undefined): Promise<TaskResponse> {
    const { target, taskTransport } = this.options;
    if (target.kind !== 'proxy' && taskTransport !== 'unary') {
      const stream = this.pool.tasks(address);
      if (!stream.unsupported) return stream.run(task, this.options.timeoutMs, signal);
    }
    const backend = this.pool.get(address);
    const metadata = target.kind === 'proxy' && task.key !== '' ? keyMetadata(task.key) : undefined;
    return callUnary(backend.processTask.bind(backend), task, this.options.timeoutMs, signal, metadata);
  }

  /** ProcessTask on the picked backend; its outcome goes to the ledger and, with the status code, back to the LB. */
  private async callBackend(
    index: number,
    kind: TaskKind,
    key: string,
    picked: Picked,
    exclude: string[],
    lbWait: LbWait,
    startedAt: number,
    gate?: HedgeGate,
  ): Promise<TryOutcome> {
    const { address, requestId, source } = picked;
    const { target } = this.options;
    const attemptStartedAt = performance.now();
    /** The pick's outcome goes back to the LB with the status code, which decides whether it counts towards ejection. */
    const reportDone = (ok: boolean, statusCode = 0): void => {
      if (requestId !== undefined) source?.reportDone(requestId, performance.now() - attemptStartedAt, ok, statusCode);
    };
    const backend = this.pool.get(address);
    try {
      const response = await this.processTask(
        address,
        { taskId: `${this.clientId}-${index}`, type: TASK_TYPE[kind], workUnits: kind === 'CPU_HEAVY' ? this.options.workUnits : 0, clientId: this.clientId, key },
        gate?.signal,
      );
      reportDone(true);
      // A hedge answered after another attempt had won: served, but not this task's answer.
      if (gate !== undefined && !gate.commit()) {
        this.ledger.recordAttemptFailure(address, HEDGE_LOST, { mayBeServed: true });
        return { kind: 'final', reason: HEDGE_LOST };
      }
      if (target.kind === 'proxy') {
        this.outage.answered();
        lbWait.reset();
      }
      // Forwards the proxy tried first may have been served by a backend that then died: attempts
      // that failed at no backend the client knows of, as far as reconciliation goes.
      for (let failed = 0; failed < response.failedForwards; failed += 1) this.ledger.recordAttemptFailure(undefined, 'proxy forward failed (retried by the LB)');
      // Through a proxy the response says which backend served it; credit that one.
      this.ledger.recordOk(target.kind === 'proxy' ? response.backendAddress || address : address, elapsedSince(startedAt));
      return { kind: 'ok' };
    } catch (error) {
      // Through a proxy, an LB that is down or restarting is waited for like a pick it could not give.
      if (target.kind === 'proxy' && isProxyUnavailable(error, backend.getChannel().getConnectivityState(false) === connectivityState.READY)) {
        // A call cut mid-way may have been forwarded before the LB went: a failed attempt at no known backend.
        if (mayHaveBeenForwarded(error)) this.ledger.recordAttemptFailure(undefined, statusName(error));
        return { kind: 'wait-for-lb', reason: describeLbUnavailable(error, address) };
      }
      reportDone(false, isServiceError(error) ? error.code : GrpcStatus.UNKNOWN);
      if (gate?.signal.aborted === true) {
        // Cancelled because another attempt won: the backend may have served it before the cancel arrived.
        this.ledger.recordAttemptFailure(address, HEDGE_CANCELLED, { mayBeServed: true });
        return { kind: 'final', reason: HEDGE_CANCELLED };
      }
      const code = statusName(error);
      // Through a proxy the failing backend is the LB's business; the LB's address is no backend.
      const mayBeServed = isServiceError(error) && error.code === GrpcStatus.DEADLINE_EXCEEDED;
      this.ledger.recordAttemptFailure(target.kind === 'proxy' ? undefined : address, code, { mayBeServed });
      const reason = `ProcessTask ${code} at ${address}${isServiceError(error) && error.details ? `: ${error.details}` : ''}`;
      if (!isServiceError(error) || !(RETRYABLE.has(error.code) || (target.kind === 'proxy' && isProxyStreamReset(error.code, error.details)))) return { kind: 'final', reason };
      exclude.push(address);
      return { kind: 'retry', reason };
    }
  }
}

const elapsedSince = (startedAt: number): number => Math.round((performance.now() - startedAt) * 1_000);
