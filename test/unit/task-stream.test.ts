// ProcessTasks end to end, a real grpc-js server and client in this process: tasks on one stream answered exactly once,
// by their result, their deadline or their cancel; served counts as ProcessTask's; a broken protocol refused by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { credentials, Server, ServerCredentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';

import { NO_FAULT } from '../../src/core/faults/fault.js';
import { createBackendService } from '../../src/runtime/backend/backend-service.js';
import { FaultInjector } from '../../src/runtime/backend/fault-injector.js';
import { TaskExecutor } from '../../src/runtime/backend/task-executor.js';
import { MAX_TASKS_PER_MESSAGE } from '../../src/runtime/backend/task-stream-service.js';
import { TaskStream } from '../../src/runtime/client/task-stream.js';
import { BackendClient, BackendService, type BackendServer, type TaskRequest, type TaskStreamResponse } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import { withTimeout } from '../helpers/with-timeout.js';

interface Lab {
  readonly server: Server;
  readonly client: BackendClient;
  readonly executor: TaskExecutor;
  readonly faults: FaultInjector;
  readonly close: () => Promise<void>;
}

async function startLab(): Promise<Lab> {
  const executor = new TaskExecutor();
  const faults = new FaultInjector(() => undefined);
  const identity = { id: 'backend-test', address: '127.0.0.1:0', defaultHeavyUnits: 1, speed: 1 };
  const service = createBackendService(identity, executor, () => ({}) as never, faults) as BackendServer;
  const server = new Server();
  server.addService(BackendService, service);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const client = new BackendClient(`127.0.0.1:${port}`, credentials.createInsecure());
  return {
    server,
    client,
    executor,
    faults,
    close: async () => {
      client.close();
      faults.close();
      server.forceShutdown();
    },
  };
}

const simple = (index: number): TaskRequest => ({ taskId: `t-${index}`, type: TaskType.SIMPLE, workUnits: 0, clientId: 'test', key: '' });
const rejectionOf = (promise: Promise<unknown>): Promise<ServiceError> =>
  promise.then(
    () => {
      throw new Error('the task succeeded');
    },
    (error: ServiceError) => error,
  );

const test = suite('ProcessTasks');

test('300 tasks at once on one stream: each answered once, by the backend that served it, and counted served 300 times', async () => {
  const lab = await startLab();
  const tasks = new TaskStream(lab.client);
  try {
    const answers = await withTimeout(Promise.all(Array.from({ length: 300 }, (_, index) => tasks.run(simple(index), 5_000))), 10_000, '300 streamed tasks');
    assert.equal(new Set(answers.map((answer) => answer.taskId)).size, 300, 'every task answered with its own id');
    assert.ok(answers.every((answer) => answer.backendId === 'backend-test'));
    assert.is(lab.executor.counters.servedSimple, 300);
  } finally {
    tasks.close();
    await lab.close();
  }
});

test("a hung task fails at the client's deadline (DEADLINE_EXCEEDED) and is never counted served; the stream goes on", async () => {
  const lab = await startLab();
  const tasks = new TaskStream(lab.client);
  try {
    // Connected first: a task written before the connection is up reaches the backend late, after its fault is gone.
    await withTimeout(tasks.run(simple(0), 5_000), 5_000, 'the first task');
    lab.faults.set({ ...NO_FAULT, hangRate: 1 });
    const error = await withTimeout(rejectionOf(tasks.run(simple(1), 100)), 5_000, 'the hung task');
    assert.is(error.code, GrpcStatus.DEADLINE_EXCEEDED);
    lab.faults.set(NO_FAULT);
    const answer = await withTimeout(tasks.run(simple(2), 5_000), 5_000, 'the next task');
    assert.is(answer.taskId, 't-2');
    assert.is(lab.executor.counters.servedSimple, 2, 'the hung task is not served');
  } finally {
    tasks.close();
    await lab.close();
  }
});

test('a task cancelled during injected latency is answered CANCELLED on the client and never run by the backend', async () => {
  const lab = await startLab();
  const tasks = new TaskStream(lab.client);
  try {
    await withTimeout(tasks.run(simple(0), 5_000), 5_000, 'the first task');
    lab.faults.set({ ...NO_FAULT, latencyMs: 300 });
    const controller = new AbortController();
    const pending = rejectionOf(tasks.run(simple(1), 5_000, controller.signal));
    setTimeout(() => controller.abort(), 30);
    const error = await withTimeout(pending, 5_000, 'the cancelled task');
    assert.is(error.code, GrpcStatus.CANCELLED);
    // Past the latency the backend would have run it: it must not have.
    lab.faults.set(NO_FAULT);
    await withTimeout(tasks.run(simple(2), 5_000), 5_000, 'a later task');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.is(lab.executor.counters.servedSimple, 2, 'the cancelled task was not served');
  } finally {
    tasks.close();
    await lab.close();
  }
});

test('a bad task is refused by itself with INVALID_ARGUMENT naming the field; the others on the stream are served', async () => {
  const lab = await startLab();
  const tasks = new TaskStream(lab.client);
  try {
    const [bad, good] = await withTimeout(
      Promise.all([rejectionOf(tasks.run({ ...simple(1), type: TaskType.TASK_TYPE_UNSPECIFIED }, 5_000)), tasks.run(simple(2), 5_000)]),
      5_000,
      'a bad and a good task',
    );
    assert.is(bad.code, GrpcStatus.INVALID_ARGUMENT);
    assert.match(bad.details, /type/);
    assert.is(good.taskId, 't-2');
  } finally {
    tasks.close();
    await lab.close();
  }
});

/** Writes `message` on a raw ProcessTasks stream and resolves with how the stream ended and what it answered. */
function rawStream(
  lab: Lab,
  message: Parameters<ReturnType<BackendClient['processTasks']>['write']>[0],
): Promise<{ code: number; details: string; answers: TaskStreamResponse[] }> {
  return new Promise((resolve) => {
    const call = lab.client.processTasks();
    const answers: TaskStreamResponse[] = [];
    call.on('data', (answer: TaskStreamResponse) => {
      answers.push(answer);
      call.end();
    });
    call.on('error', (error: ServiceError) => resolve({ code: error.code, details: error.details, answers }));
    call.on('status', (status: { code: number; details: string }) => {
      if (status.code === GrpcStatus.OK) resolve({ code: status.code, details: status.details, answers });
    });
    call.write(message);
  });
}

test('a broken stream protocol ends the stream with INVALID_ARGUMENT naming the value; a bad deadline is refused for its task', async () => {
  const lab = await startLab();
  try {
    const zero = await withTimeout(rawStream(lab, { tasks: [{ seq: 0, task: simple(1), timeoutMs: 0, cancel: false }] }), 5_000, 'seq 0');
    assert.is(zero.code, GrpcStatus.INVALID_ARGUMENT);
    assert.match(zero.details, /seq 0/);
    const twice = { seq: 5, task: simple(5), timeoutMs: 0, cancel: false };
    lab.faults.set({ ...NO_FAULT, latencyMs: 200 });
    const duplicate = await withTimeout(rawStream(lab, { tasks: [twice, twice] }), 5_000, 'a duplicate seq');
    assert.is(duplicate.code, GrpcStatus.INVALID_ARGUMENT);
    assert.match(duplicate.details, /seq 5 is already running/);
    lab.faults.set(NO_FAULT);
    const oversized = Array.from({ length: MAX_TASKS_PER_MESSAGE + 1 }, (_, index) => ({ seq: index + 1, task: simple(index), timeoutMs: 0, cancel: false }));
    const tooMany = await withTimeout(rawStream(lab, { tasks: oversized }), 5_000, 'an oversized batch');
    assert.is(tooMany.code, GrpcStatus.INVALID_ARGUMENT);
    assert.match(tooMany.details, new RegExp(`${MAX_TASKS_PER_MESSAGE + 1} tasks`));
    const late = await withTimeout(rawStream(lab, { tasks: [{ seq: 1, task: simple(1), timeoutMs: 4_000_000_000, cancel: false }] }), 5_000, 'a huge timeout');
    assert.is(late.answers[0]?.answers[0]?.statusCode, GrpcStatus.INVALID_ARGUMENT);
    assert.match(late.answers[0]?.answers[0]?.statusMessage ?? '', /timeout_ms 4000000000 is out of range/);
  } finally {
    await lab.close();
  }
});

test('the backend going away fails the tasks in flight with UNAVAILABLE, as unary calls on that connection would', async () => {
  const lab = await startLab();
  const tasks = new TaskStream(lab.client);
  try {
    lab.faults.set({ ...NO_FAULT, hangRate: 1 });
    const pending = rejectionOf(tasks.run(simple(1), 10_000));
    await new Promise((resolve) => setTimeout(resolve, 50));
    lab.server.forceShutdown();
    const error = await withTimeout(pending, 5_000, 'the task in flight');
    assert.ok([GrpcStatus.UNAVAILABLE, GrpcStatus.CANCELLED].includes(error.code), `got ${error.code} ${error.details}`);
    assert.is(lab.executor.counters.servedSimple, 0);
  } finally {
    tasks.close();
    await lab.close();
  }
});

test.run();
