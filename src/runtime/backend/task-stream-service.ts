// ProcessTasks: many tasks on one long-lived stream (lbx send's lean path), each answered exactly once.
//
// Per task, a unary call costs the client a new HTTP/2 stream, headers, a deadline timer and grpc-js's call
// machinery; on one stream a task is one message each way. The semantics stay ProcessTask's: the same answerer
// (validation, faults, executor, served counting), a deadline per task counted from its arrival, and a cancel that
// keeps a queued task from running. A task the stream's end leaves unanswered is abandoned like a cancelled call.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { Status as GrpcStatus } from '../grpc/status.js';

import type { StreamedAnswer, StreamedTask, TaskRequest, TaskStreamRequest, TaskStreamResponse } from '../wire/gen/lbx/v1/backend.js';
import { TurnBatcher } from '../grpc/turn-batcher.js';
import { capDetails } from '../grpc/status-errors.js';
import type { TaskAnswer, TaskAnswerer } from './task-answer.js';

/** Tasks open on one stream at most: a sender that never reads its answers cannot grow the backend's memory. */
export const MAX_OPEN_TASKS_PER_STREAM = 10_000;
/** Entries (or answers) one message carries at most: a bigger batch is a broken sender, not a busy one. */
export const MAX_TASKS_PER_MESSAGE = 1_000;
/**
 * Answer messages written and not yet taken by HTTP/2, at most. Reading stops as soon as a write is not flushed at
 * once (HTTP/2 flow control then holds the sender back, as on the LB's pick stream), so only batches already read can
 * add to these; past the bound the stream is closed with RESOURCE_EXHAUSTED.
 */
export const MAX_PENDING_ANSWER_MESSAGES = 256;
/** The longest per-task deadline accepted (a day); a larger timeout_ms is refused, 0 means none. */
export const MAX_TASK_TIMEOUT_MS = 86_400_000;

/** What the stream reports to metrics: the same figures ProcessTask's answers feed. */
export interface TaskStreamObserver {
  servedTask(type: number, serviceUs: number): void;
  failed(method: string, statusCode: number | undefined): void;
}

interface OpenTask {
  cancelled: boolean;
  timer?: NodeJS.Timeout;
}

const METHOD = 'ProcessTasks';

type Call = ServerDuplexStream<TaskStreamRequest, TaskStreamResponse>;
type Answered = Exclude<TaskAnswer, { kind: 'hang' }>;

export function serveTaskStream(call: Call, answer: TaskAnswerer, observer?: TaskStreamObserver): void {
  const session = new TaskStreamSession(call, answer, observer);
  call.on('data', (request: TaskStreamRequest) => session.receiveBatch(request));
  call.on('end', () => session.halfClose());
  call.on('drain', () => session.drained());
  // The caller went away (cancelled, connection lost): open tasks are abandoned, queued ones never run.
  call.on('cancelled', () => session.abandonAll());
  call.on('error', () => session.abandonAll());
}

/** One stream's open tasks: each is answered once, by its result, its deadline or its cancel, whichever comes first. */
class TaskStreamSession {
  private readonly open = new Map<number, OpenTask>();
  private halfClosed = false;
  /** The caller cancelled or the connection broke (or the stream failed): nothing more is sent. */
  private callerGone = false;
  /** Every task is answered after the half-close: the stream ends with the next flush. */
  private ended = false;
  /** Answers ready in this turn of the event loop, sent together at its end. */
  private readonly outbox = new TurnBatcher<StreamedAnswer>(MAX_TASKS_PER_MESSAGE, (chunks) => this.flush(chunks));

  constructor(
    private readonly call: Call,
    private readonly answer: TaskAnswerer,
    private readonly observer: TaskStreamObserver | undefined,
  ) {}

  receiveBatch(batch: TaskStreamRequest): void {
    if (batch.tasks.length > MAX_TASKS_PER_MESSAGE) {
      return this.failStream(`a message of ${batch.tasks.length} tasks: expected at most ${MAX_TASKS_PER_MESSAGE} per message`);
    }
    for (const entry of batch.tasks) {
      if (this.callerGone) return;
      this.receive(entry);
    }
  }

  private receive(request: StreamedTask): void {
    const { seq } = request;
    if (request.cancel) return this.cancel(seq);
    if (seq <= 0) return this.failStream(`seq ${seq} is not a task number: expected 1 or more, unique on the stream`);
    if (this.open.has(seq)) return this.failStream(`seq ${seq} is already running on this stream: each task needs its own seq`);
    if (request.task === undefined) return this.refuse(seq, GrpcStatus.INVALID_ARGUMENT, `task ${seq} has no task: set task, or cancel to cancel one`);
    if (request.timeoutMs > MAX_TASK_TIMEOUT_MS) {
      return this.refuse(seq, GrpcStatus.INVALID_ARGUMENT, `timeout_ms ${request.timeoutMs} is out of range: expected 0 (none) to ${MAX_TASK_TIMEOUT_MS}`);
    }
    if (this.open.size >= MAX_OPEN_TASKS_PER_STREAM) {
      return this.refuse(seq, GrpcStatus.RESOURCE_EXHAUSTED, `${this.open.size} tasks are open on this stream (at most ${MAX_OPEN_TASKS_PER_STREAM}): read answers first`);
    }
    this.start(seq, request.task, request.timeoutMs);
  }

  drained(): void {
    if (!this.callerGone) this.call.resume();
  }

  halfClose(): void {
    this.halfClosed = true;
    this.endIfDone();
  }

  abandonAll(): void {
    this.callerGone = true;
    this.outbox.discard();
    for (const task of this.open.values()) {
      task.cancelled = true;
      clearTimeout(task.timer);
    }
    this.open.clear();
  }

  private start(seq: number, request: TaskRequest, timeoutMs: number): void {
    const task: OpenTask = { cancelled: false };
    this.open.set(seq, task);
    if (timeoutMs > 0) {
      task.timer = setTimeout(() => {
        task.cancelled = true;
        this.reply(seq, request.type, { kind: 'status', code: GrpcStatus.DEADLINE_EXCEEDED, message: `no answer within timeout_ms ${timeoutMs}` });
      }, timeoutMs);
    }
    this.answer(request, () => task.cancelled || this.callerGone).then(
      (result) => {
        if (result.kind !== 'hang') this.reply(seq, request.type, result);
      },
      (error: unknown) => this.reply(seq, request.type, { kind: 'status', code: GrpcStatus.INTERNAL, message: String(error) }),
    );
  }

  /** Unknown seqs are ignored: the answer may already be on its way. */
  private cancel(seq: number): void {
    const task = this.open.get(seq);
    if (task === undefined) return;
    task.cancelled = true;
    this.reply(seq, 0, { kind: 'status', code: GrpcStatus.CANCELLED, message: 'cancelled by the caller' });
  }

  private reply(seq: number, type: number, result: Answered): void {
    const task = this.open.get(seq);
    if (task === undefined) return; // answered already: its deadline or cancel came first
    this.open.delete(seq);
    clearTimeout(task.timer);
    if (result.kind === 'ok') this.observer?.servedTask(type, result.response.serviceUs);
    else this.observer?.failed(METHOD, result.code);
    this.write(seq, result);
    this.endIfDone();
  }

  private refuse(seq: number, code: GrpcStatus, message: string): void {
    this.observer?.failed(METHOD, code);
    this.write(seq, { kind: 'status', code, message });
  }

  /** Answers are small and bounded by the open tasks, so grpc-js's write buffer is their back-pressure limit. */
  private write(seq: number, result: Answered): void {
    if (this.callerGone) return;
    this.outbox.push(
      result.kind === 'ok'
        ? { seq, response: result.response, statusCode: 0, statusMessage: '' }
        : { seq, response: undefined, statusCode: result.code, statusMessage: capDetails(result.message) },
    );
  }

  private flush(chunks: StreamedAnswer[][]): void {
    if (this.callerGone) return;
    let flowing = true;
    for (const answers of chunks) flowing = this.call.write({ answers }) && flowing;
    if (this.call.writableLength > MAX_PENDING_ANSWER_MESSAGES) {
      const details = `ProcessTasks closed: ${this.call.writableLength} answer messages are waiting for this client to read them (at most ${MAX_PENDING_ANSWER_MESSAGES})`;
      this.abandonAll();
      this.call.emit('error', { code: GrpcStatus.RESOURCE_EXHAUSTED, details });
      return;
    }
    if (!flowing && !this.call.isPaused()) this.call.pause();
    if (this.ended) this.call.end();
  }

  /** Once the sender has half-closed and every task is answered, the stream ends (after the last answers go out). */
  private endIfDone(): void {
    if (this.halfClosed && this.open.size === 0 && !this.ended && !this.callerGone) {
      this.ended = true;
      if (this.outbox.size === 0) this.call.end();
    }
  }

  /** A broken stream protocol (not one task's fault) ends the whole stream with INVALID_ARGUMENT, naming the value. */
  private failStream(details: string): void {
    this.abandonAll();
    this.call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details: capDetails(details) });
  }
}
