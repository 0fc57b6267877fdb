// The client's side of ProcessTasks: many tasks in flight to one backend on one stream, each settled exactly once by its
// answer, its deadline, its cancel or the stream failing, with the same errors a unary ProcessTask call would give.
import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';

import type { BackendClient, StreamedTask, TaskRequest, TaskResponse, TaskStreamRequest, TaskStreamResponse } from '../wire/gen/lbx/v1/backend.js';
import { TurnBatcher } from '../grpc/turn-batcher.js';
import { callError } from '../grpc/unary.js';

interface PendingTask {
  readonly resolve: (response: TaskResponse) => void;
  readonly reject: (error: ServiceError) => void;
  readonly timer: NodeJS.Timeout;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

/**
 * The backend's deadline is the client's plus this: the client's own timer decides (DEADLINE_EXCEEDED, maybe served),
 * and the backend's, counted from arrival, only frees a task whose cancel was lost with its connection.
 */
const BACKEND_DEADLINE_SLACK_MS = 1_000;
/** What one message carries at most (the backend refuses more: MAX_TASKS_PER_MESSAGE). */
const MAX_TASKS_PER_MESSAGE = 1_000;

export class TaskStream {
  private stream: ClientDuplexStream<TaskStreamRequest, TaskStreamResponse> | undefined;
  private readonly pending = new Map<number, PendingTask>();
  // Never reset when the stream is reopened: a late answer can never settle a newer task.
  private nextSeq = 1;
  /** Entries started or cancelled in this turn of the event loop, sent together at its end (a stream that failed took them with it). */
  private readonly outbox = new TurnBatcher<StreamedTask>(MAX_TASKS_PER_MESSAGE, (chunks) => {
    for (const tasks of chunks) this.stream?.write({ tasks });
  });
  /** The backend does not serve ProcessTasks (UNIMPLEMENTED): callers go back to unary calls. */
  unsupported = false;

  constructor(private readonly backend: BackendClient) {}

  /** Runs one task with a deadline `timeoutMs` from now; `signal` cancels it (CANCELLED), as callUnary does. */
  run(task: TaskRequest, timeoutMs: number, signal?: AbortSignal): Promise<TaskResponse> {
    if (signal?.aborted) return Promise.reject(callError(GrpcStatus.CANCELLED, 'Cancelled on client'));
    if (this.stream === undefined) this.open();
    const seq = this.nextSeq;
    this.nextSeq += 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.giveUp(seq, GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), timeoutMs);
      const onAbort = signal === undefined ? undefined : (): void => this.giveUp(seq, GrpcStatus.CANCELLED, 'Cancelled on client');
      if (onAbort) signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(seq, { resolve, reject, timer, signal, onAbort });
      this.send({ seq, task, timeoutMs: timeoutMs + BACKEND_DEADLINE_SLACK_MS, cancel: false });
    });
  }

  /**
   * Cancels the stream (failing any task still in flight). Cancel, not half-close: a backend cut off from the network
   * would never answer a half-close, and the open stream would keep the client's process alive.
   */
  close(): void {
    this.fail(callError(GrpcStatus.CANCELLED, 'task stream closed by the client'));
  }

  private open(): ClientDuplexStream<TaskStreamRequest, TaskStreamResponse> {
    const stream = this.backend.processTasks();
    this.stream = stream;
    stream.on('data', (message: TaskStreamResponse) => {
      for (const answer of message.answers) {
        const pending = this.settle(answer.seq);
        if (pending === undefined) continue; // given up already (deadline, cancel)
        if (answer.statusCode === GrpcStatus.OK && answer.response) pending.resolve(answer.response);
        else pending.reject(callError(answer.statusCode || GrpcStatus.INTERNAL, answer.statusMessage || 'empty answer'));
      }
    });
    // The stream broke (backend gone, restarted): what is waiting fails as a unary call on that connection would.
    stream.on('error', (error: ServiceError) => {
      if (this.stream !== stream) return;
      if (error.code === GrpcStatus.UNIMPLEMENTED) this.unsupported = true;
      this.fail(callError(error.code ?? GrpcStatus.UNAVAILABLE, error.details ?? error.message));
    });
    stream.on('end', () => {
      if (this.stream === stream) this.fail(callError(GrpcStatus.UNAVAILABLE, 'the backend ended the task stream'));
    });
    return stream;
  }

  private settle(seq: number): PendingTask | undefined {
    const pending = this.pending.get(seq);
    if (pending === undefined) return undefined;
    this.pending.delete(seq);
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.signal?.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  /** The client stops waiting for task `seq`; the backend is told, so a task still queued there is never run. */
  private giveUp(seq: number, code: GrpcStatus, details: string): void {
    const pending = this.settle(seq);
    if (pending === undefined) return;
    if (this.stream) this.send({ seq, task: undefined, timeoutMs: 0, cancel: true });
    pending.reject(callError(code, details));
  }

  private send(entry: StreamedTask): void {
    this.outbox.push(entry);
  }

  private fail(error: ServiceError): void {
    const stream = this.stream;
    this.stream = undefined;
    this.outbox.discard();
    for (const seq of [...this.pending.keys()]) this.settle(seq)?.reject(error);
    stream?.cancel();
  }
}
