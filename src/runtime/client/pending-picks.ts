// The picks a pick connection waits on (the gRPC stream's or the pick socket's): each settled exactly once, by its
// reply, by the connection failing, or by a deadline.
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { callError } from '../grpc/unary.js';

/** What lbx send asks picks of, whichever connection carries them. */
export interface Picks {
  /** A pick for a task of `taskType`; `exclude` is read before this returns. */
  pick(taskType: number, key: string, exclude: readonly string[]): Promise<StreamedPick>;
  /** The task of pick `requestId` ended: the LB learns it with the next pick, for exact in-flight counts. */
  reportDone(requestId: number, latencyMs: number, ok: boolean, statusCode?: number): void;
  close(): void;
}

/** One pick, flat: the object a reply settles with is the one the caller keeps for the task (issue 14: objects per pick). */
export interface StreamedPick {
  /** The backend picked. */
  readonly address: string;
  /** The policy's name: on the connection's first pick and when it changes, else ''. */
  readonly policy: string;
  /** Pass to `source.reportDone` when the task ends. */
  readonly requestId: number;
  /** The connection that made the pick, which its end is reported to. */
  readonly source: Picks;
}

interface PendingPick {
  readonly resolve: (pick: StreamedPick) => void;
  readonly reject: (error: ServiceError) => void;
  /** performance.now() past which the LB is taken to be gone. */
  readonly deadlineMs: number;
}

export class PendingPicks {
  /** In the order the picks were made (a Map keeps insertion order): the first is the oldest. */
  private readonly pending = new Map<number, PendingPick>();
  /**
   * One timer per connection, at the oldest pick's deadline, rather than one per pick: a timer set and cleared for
   * every pick was a tenth of the client's cost of a pick (issue 14).
   */
  private deadlineTimer: NodeJS.Timeout | undefined;

  /** `onExpired`: no reply came for the oldest pick in time; the owner abandons its connection (and calls failAll). */
  constructor(
    private readonly timeoutMs: number,
    private readonly onExpired: (error: ServiceError) => void,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Waits for the reply to `requestId`. */
  add(requestId: number): Promise<StreamedPick> {
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject, deadlineMs: performance.now() + this.timeoutMs });
      this.armDeadline();
    });
  }

  /** The reply to `requestId`: a pick, or the status it failed with. A reply to a pick no longer waited for is ignored. */
  settle(requestId: number, outcome: StreamedPick | ServiceError): void {
    const pending = this.pending.get(requestId);
    if (pending === undefined) return;
    this.pending.delete(requestId);
    // Nothing left to time: a timer kept would keep a finished process alive until it fired.
    if (this.pending.size === 0) this.disarmDeadline();
    if ('address' in outcome) pending.resolve(outcome);
    else pending.reject(outcome);
  }

  failAll(error: ServiceError): void {
    this.disarmDeadline();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.reject(error);
  }

  /** Sets the deadline timer for the oldest pick, unless one is set (it moves on to the next oldest when it fires). */
  private armDeadline(): void {
    if (this.deadlineTimer !== undefined) return;
    const oldest = this.oldestPick();
    if (oldest === undefined) return;
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, oldest.deadlineMs - performance.now()));
  }

  private oldestPick(): PendingPick | undefined {
    return this.pending.values().next().value as PendingPick | undefined;
  }

  private disarmDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  private onDeadline(): void {
    this.deadlineTimer = undefined;
    const oldest = this.oldestPick();
    if (oldest === undefined) return;
    // A timer may fire a fraction of a millisecond before the deadline it was set for.
    if (oldest.deadlineMs - performance.now() < 1) this.onExpired(callError(GrpcStatus.DEADLINE_EXCEEDED, `no pick from the LB within ${this.timeoutMs} ms`));
    else this.armDeadline();
  }
}
