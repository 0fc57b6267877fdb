// Runs a backend's tasks like a one-core server: SIMPLE at once, CPU_HEAVY one at a time from a FIFO queue.
//
// Heavy work runs on the event loop, one task per turn, yielding between tasks so new
// requests are received (and counted as queued) while the queue drains. That is what
// makes in-flight and queue depth real load signals for the balancer.

import type { TaskKind } from '../../core/policies/policy.js';
import { runWorkUnits } from './cpu-work.js';

export type TaskOutcome =
  | { readonly kind: 'done'; readonly result: number; readonly queuedMicros: number; readonly serviceMicros: number }
  /** The caller gave up (deadline, cancel) before the answer: not counted as served (and not run, if still queued). */
  | { readonly kind: 'abandoned' };

interface QueuedTask {
  readonly units: number;
  readonly enqueuedAt: number;
  readonly isAbandoned: () => boolean;
  readonly resolve: (outcome: TaskOutcome) => void;
}

/** Where served tasks are counted: in memory, or written through to a file (DurableServedCounts). */
export interface ServedCounter {
  readonly current: { readonly simple: number; readonly heavy: number };
  served(kind: TaskKind): void;
}

class InMemoryServedCounter implements ServedCounter {
  readonly current = { simple: 0, heavy: 0 };

  served(kind: TaskKind): void {
    if (kind === 'SIMPLE') this.current.simple += 1;
    else this.current.heavy += 1;
  }
}

export interface ExecutorCounters {
  readonly inFlight: number;
  readonly queueDepth: number;
  readonly servedSimple: number;
  readonly servedHeavy: number;
}

/** Work done between two yields to I/O: about 55 ms here, so the default task (55 units) is one slice. */
export const WORK_SLICE_UNITS = 100;

const micros = (fromMs: number, toMs: number): number => Math.max(0, Math.round((toMs - fromMs) * 1_000));

export class TaskExecutor {
  private readonly queue: QueuedTask[] = [];
  private running = false;
  private inFlightCount = 0;
  private unitsRun = 0;
  /** Service time of tasks finished since the last takeRecentLatency(), for load reports. */
  private recentServiceMs = 0;
  private recentFinished = 0;

  /** Set by halt(): the backend was killed, and nothing more is run. */
  private isHalted = false;

  /** `served` is told of each task before its answer is returned, so a durable counter never trails what callers saw. */
  constructor(
    private readonly served: ServedCounter = new InMemoryServedCounter(),
    private readonly sliceUnits: number = WORK_SLICE_UNITS,
  ) {}

  /** Told of every task as it arrives: an idle load reporter wakes up (see load-reporter.ts). */
  onActivity: (() => void) | undefined;

  /**
   * Runs a task. `isAbandoned` is asked when a queued task's turn comes: a caller that has
   * given up gets no work done and no count, so the client's retry elsewhere is the only
   * one served and counted.
   */
  run(kind: TaskKind, units: number, isAbandoned: () => boolean): Promise<TaskOutcome> {
    this.onActivity?.();
    if (kind === 'SIMPLE') {
      this.served.served('SIMPLE');
      this.recentFinished += 1;
      return Promise.resolve({ kind: 'done', result: 0, queuedMicros: 0, serviceMicros: 0 });
    }
    this.inFlightCount += 1;
    return new Promise((resolve) => {
      this.queue.push({ units, enqueuedAt: performance.now(), isAbandoned, resolve });
      if (!this.running) {
        this.running = true;
        setImmediate(() => this.drainOne());
      }
    });
  }

  get counters(): ExecutorCounters {
    return {
      inFlight: this.inFlightCount,
      // The running task has left the queue, so the queue holds only those waiting.
      queueDepth: this.queue.length,
      servedSimple: this.served.current.simple,
      servedHeavy: this.served.current.heavy,
    };
  }

  /** Work units run since start, slow-backend multiples included: what ORCA's application utilisation counts. */
  get workUnitsRun(): number {
    return this.unitsRun;
  }

  /** Mean service time (ms) of the tasks finished since the previous call, then resets it. */
  takeRecentLatencyMs(): number {
    const mean = this.recentFinished === 0 ? 0 : this.recentServiceMs / this.recentFinished;
    this.recentServiceMs = 0;
    this.recentFinished = 0;
    return mean;
  }

  /** The backend was killed: queued tasks end abandoned (their calls are cut) and the running one stops at its next slice. */
  halt(): void {
    this.isHalted = true;
    for (const task of this.queue.splice(0)) task.resolve({ kind: 'abandoned' });
  }

  private drainOne(): void {
    if (this.isHalted) return;
    const task = this.queue.shift();
    if (task === undefined) {
      this.running = false;
      return;
    }
    if (task.isAbandoned()) {
      this.inFlightCount -= 1;
      task.resolve({ kind: 'abandoned' });
      setImmediate(() => this.drainOne());
      return;
    }
    this.runInSlices(task, performance.now(), task.units, 0);
  }

  /**
   * Runs a task's work a slice at a time, yielding to I/O in between: still one task at a time,
   * but a long task (up to MAX_WORK_UNITS, seconds) no longer freezes the process, so arrivals are
   * counted, GetLoad answers and registry keepalives go out (etcd's 2 s lease would lapse during
   * a 5 s task otherwise). A caller that gave up meanwhile stops the work at the next slice.
   */
  private runInSlices(task: QueuedTask, startedAt: number, remaining: number, checksum: number): void {
    if (this.isHalted) {
      task.resolve({ kind: 'abandoned' });
      return;
    }
    const units = Math.min(remaining, this.sliceUnits);
    const sum = (checksum + runWorkUnits(units)) >>> 0;
    this.unitsRun += units;
    const left = remaining - units;
    if (left > 0 && !task.isAbandoned()) {
      setImmediate(() => this.runInSlices(task, startedAt, left, sum));
      return;
    }
    const finishedAt = performance.now();
    this.inFlightCount -= 1;
    // The deadline passed while it ran: the answer will not be delivered, so it is not "served".
    if (task.isAbandoned()) {
      task.resolve({ kind: 'abandoned' });
      setImmediate(() => this.drainOne());
      return;
    }
    this.served.served('CPU_HEAVY');
    this.recentServiceMs += finishedAt - startedAt;
    this.recentFinished += 1;
    task.resolve({ kind: 'done', result: sum, queuedMicros: micros(task.enqueuedAt, startedAt), serviceMicros: micros(startedAt, finishedAt) });
    // Yield to I/O before the next task so arrivals are received and counted.
    setImmediate(() => this.drainOne());
  }
}
