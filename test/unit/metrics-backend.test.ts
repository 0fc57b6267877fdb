// A backend's Prometheus metrics: served tasks by type, service time, in flight, queue depth, errors.
import { status as GrpcStatus, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { BackendMetrics } from '../../src/runtime/metrics/backend-metrics.js';
import { parseExposition, sumSamples } from '../../src/runtime/metrics/parse-exposition.js';
import { TaskType } from '../../src/runtime/wire/gen/lbx/v1/task.js';
import type { BackendServer, TaskRequest, TaskResponse } from '../../src/runtime/wire/gen/lbx/v1/backend.js';
import { invalidArgument } from '../../src/runtime/grpc/status-errors.js';

type ProcessTask = (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>) => void;

const request = (type: TaskType): TaskRequest => ({ taskId: 't', type, workUnits: 0, clientId: 'c', key: '' });
const response = (serviceUs: number): TaskResponse =>
  ({ taskId: 't', backendId: 'b', backendAddress: 'a', result: '', workUnits: 0, queuedUs: 0, serviceUs, failedForwards: 0 }) as unknown as TaskResponse;

const test = suite('backend metrics');

test('OK answers count as served by type with their service time; others as errors by code', async () => {
  const counters = { inFlight: 4, queueDepth: 3 };
  const metrics = new BackendMetrics(() => counters);
  const processTask: ProcessTask = (call, callback) => {
    if (call.request.type === TaskType.UNRECOGNIZED) callback(invalidArgument('unknown type'));
    else callback(null, response(call.request.type === TaskType.CPU_HEAVY ? 30_000 : 20));
  };
  const service = metrics.instrument({ processTask, getLoad: () => undefined } as unknown as BackendServer);
  const answers: Array<number | string> = [];
  const call = (type: TaskType): void =>
    (service.processTask as ProcessTask)({ request: request(type) } as ServerUnaryCall<TaskRequest, TaskResponse>, (error, value) =>
      answers.push(error ? (error.code ?? -1) : (value?.serviceUs ?? -1)),
    );
  for (let index = 0; index < 7; index += 1) call(TaskType.SIMPLE);
  for (let index = 0; index < 2; index += 1) call(TaskType.CPU_HEAVY);
  call(TaskType.UNRECOGNIZED);
  assert.equal(answers.length, 10, 'every answer passes through');
  assert.equal(answers.at(-1), GrpcStatus.INVALID_ARGUMENT);

  const samples = parseExposition(await metrics.exposition());
  assert.equal(sumSamples(samples, 'lbx_backend_tasks_served_total', { type: 'SIMPLE' }), 7);
  assert.equal(sumSamples(samples, 'lbx_backend_tasks_served_total', { type: 'CPU_HEAVY' }), 2);
  assert.equal(sumSamples(samples, 'lbx_backend_task_service_seconds_count', { type: 'CPU_HEAVY' }), 2);
  assert.ok(Math.abs(sumSamples(samples, 'lbx_backend_task_service_seconds_sum', { type: 'CPU_HEAVY' }) - 0.06) < 1e-9);
  assert.equal(sumSamples(samples, 'lbx_backend_task_service_seconds_bucket', { type: 'CPU_HEAVY', le: '0.025' }), 0);
  assert.equal(sumSamples(samples, 'lbx_backend_task_service_seconds_bucket', { type: 'CPU_HEAVY', le: '0.05' }), 2);
  assert.equal(sumSamples(samples, 'lbx_backend_errors_total', { method: 'ProcessTask', code: 'INVALID_ARGUMENT' }), 1);
  assert.equal(sumSamples(samples, 'lbx_backend_in_flight'), 4);
  assert.equal(sumSamples(samples, 'lbx_backend_queue_depth'), 3);

  counters.inFlight = 0;
  assert.equal(sumSamples(parseExposition(await metrics.exposition()), 'lbx_backend_in_flight'), 0, 'gauges are read at each scrape');
});

test('process metrics come only when asked for, in this registry alone', async () => {
  const plain = parseExposition(await new BackendMetrics(() => ({ inFlight: 0, queueDepth: 0 })).exposition());
  assert.equal(plain.filter((sample) => sample.name.startsWith('process_')).length, 0);
  const withProcess = parseExposition(await new BackendMetrics(() => ({ inFlight: 0, queueDepth: 0 }), { includeProcessMetrics: true }).exposition());
  assert.ok(sumSamples(withProcess, 'process_resident_memory_bytes') > 0 || withProcess.some((sample) => sample.name === 'process_cpu_user_seconds_total'));
});

test.run();
