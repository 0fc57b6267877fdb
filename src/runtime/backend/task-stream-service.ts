// ProcessTasks: many tasks on one long-lived stream (lbx send's lean path), each answered exactly once.
//
// Per task, a unary call costs the client a new HTTP/2 stream, headers, a deadline timer and grpc-js's call
// machinery; on one stream a task is one message each way. The semantics stay ProcessTask's: the same answerer
// (validation, faults, executor, served counting), a deadline per task counted from its arrival, and a cancel that
// keeps a queued task from running. A task the stream's end leaves unanswered is abandoned like a cancelled call.
import { status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';

import type { TaskRequest, TaskStreamRequest, TaskStreamResponse } from '../wire/gen/lbx/v1/backend.js';
import { capDetails } from '../grpc/unary.js';
import type { TaskAnswer, TaskAnswerer } from './task-answer.js';

/** Tasks open on one stream at most: a sender that never reads its answers cannot grow the backend's memory. */
export const MAX_OPEN_TASKS_PER_STREAM = 10_000;
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
  call.on('data', (request: TaskStreamRequest) => session.receive(request));
  call.on('end', () => session.halfClose());
  // The caller went away (cancelled, connection lost): open tasks are abandoned, queued ones never run.
  call.on('cancelled', () => session.abandonAll());
  call.on('error', () => session.abandonAll());
}

/** One stream's open tasks: each is answered once, by its result, its deadline or its cancel, whichever comes first. */
class TaskStreamSession {
  private readonly open = new Map<number, OpenTask>();
  private halfClosed = false;
  private gone = false;

  constructor(
    private readonly call: Call,
    private readonly answer: TaskAnswerer,
    private readonly observer: TaskStreamObserver | undefined,
  ) {}

  receive(request: TaskStreamRequest): void {
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

  halfClose(): void {
    this.halfClosed = true;
    this.endIfDone();
  }

  abandonAll(): void {
    this.gone = true;
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
    this.answer(request, () => task.cancelled || this.gone).then(
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
    if (this.gone) return;
    this.call.write(
      result.kind === 'ok'
        ? { seq, response: result.response, statusCode: 0, statusMessage: '' }
        : { seq, response: undefined, statusCode: result.code, statusMessage: capDetails(result.message) },
    );
  }

  private endIfDone(): void {
    if (this.halfClosed && this.open.size === 0 && !this.gone) {
      this.gone = true;
      this.call.end();
    }
  }

  /** A broken stream protocol (not one task's fault) ends the whole stream with INVALID_ARGUMENT, naming the value. */
  private failStream(details: string): void {
    this.abandonAll();
    this.call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details: capDetails(details) });
  }
}
