// Runs a backend's tasks like a one-core server: SIMPLE at once, CPU_HEAVY one at a time from a FIFO queue.
//
// Heavy work runs on the event loop, one task per turn, yielding between tasks so new
// requests are received (and counted as queued) while the queue drains. That is what
// makes in-flight and queue depth real load signals for the balancer.

import { runWorkUnits } from './cpu-work.js';

export type TaskKind = 'SIMPLE' | 'CPU_HEAVY';

export interface TaskOutcome {
  readonly result: number;
  readonly queuedMicros: number;
  readonly serviceMicros: number;
}

interface QueuedTask {
  readonly units: number;
  readonly enqueuedAt: number;
  readonly resolve: (outcome: TaskOutcome) => void;
}

export interface ExecutorCounters {
  readonly inFlight: number;
  readonly queueDepth: number;
  readonly servedSimple: number;
  readonly servedHeavy: number;
}

const micros = (fromMs: number, toMs: number): number => Math.max(0, Math.round((toMs - fromMs) * 1_000));

export class TaskExecutor {
  private readonly queue: QueuedTask[] = [];
  private running = false;
  private inFlightCount = 0;
  private servedSimpleCount = 0;
  private servedHeavyCount = 0;
  /** Service time of tasks finished since the last takeRecentLatency(), for load reports. */
  private recentServiceMs = 0;
  private recentFinished = 0;

  run(kind: TaskKind, units: number): Promise<TaskOutcome> {
    this.inFlightCount += 1;
    if (kind === 'SIMPLE') {
      this.inFlightCount -= 1;
      this.servedSimpleCount += 1;
      this.recentFinished += 1;
      return Promise.resolve({ result: 0, queuedMicros: 0, serviceMicros: 0 });
    }
    return new Promise((resolve) => {
      this.queue.push({ units, enqueuedAt: performance.now(), resolve });
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
      servedSimple: this.servedSimpleCount,
      servedHeavy: this.servedHeavyCount,
    };
  }

  /** Mean service time (ms) of the tasks finished since the previous call, then resets it. */
  takeRecentLatencyMs(): number {
    const mean = this.recentFinished === 0 ? 0 : this.recentServiceMs / this.recentFinished;
    this.recentServiceMs = 0;
    this.recentFinished = 0;
    return mean;
  }

  private drainOne(): void {
    const task = this.queue.shift();
    if (task === undefined) {
      this.running = false;
      return;
    }
    const startedAt = performance.now();
    const result = runWorkUnits(task.units);
    const finishedAt = performance.now();
    this.inFlightCount -= 1;
    this.servedHeavyCount += 1;
    this.recentServiceMs += finishedAt - startedAt;
    this.recentFinished += 1;
    task.resolve({ result, queuedMicros: micros(task.enqueuedAt, startedAt), serviceMicros: micros(startedAt, finishedAt) });
    // Yield to I/O before the next task so arrivals are received and counted.
    setImmediate(() => this.drainOne());
  }
}
