// A backend's Prometheus metrics: tasks served by type, service time, in flight, queue depth, errors.
//
// Counted where ProcessTask answers, so the served counter is exactly the OK answers this
// process gave (a plain add per task, see hot-path.ts); in flight and queue depth are read from
// the executor once per scrape.
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

import { TaskType } from '../wire/gen/lbx/v1/task.js';
import type { BackendServer, TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import { ErrorsByCode } from './errors-by-code.js';
import { BucketHistogram, CountCell, type HistogramCell } from './hot-path.js';
import type { MetricsSource } from './metrics-http.js';

/** How often the event-loop lag monitor wakes (prom-client's default is 10 ms). */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 1_000;

/** SIMPLE tasks take microseconds, CPU_HEAVY tens of milliseconds (more on a slow backend). */
export const SERVICE_TIME_BUCKETS_S = [1e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface BackendCounters {
  readonly inFlight: number;
  readonly queueDepth: number;
}

/** A task type as a label value: SIMPLE, CPU_HEAVY, or OTHER for anything a client made up. */
const typeLabel = (type: TaskType): 'SIMPLE' | 'CPU_HEAVY' | 'OTHER' => (type === TaskType.SIMPLE ? 'SIMPLE' : type === TaskType.CPU_HEAVY ? 'CPU_HEAVY' : 'OTHER');

export class BackendMetrics implements MetricsSource {
  readonly registry = new Registry();
  private readonly served = new Map<string, CountCell>();
  private readonly serviceTime = new Map<string, HistogramCell>();
  private readonly errors: ErrorsByCode;
  private readonly inFlight: Gauge;
  private readonly queueDepth: Gauge;
  /** Default process metrics asked for and not yet started (see exposition()). */
  private wantsProcessMetrics: boolean;

  constructor(counters: () => BackendCounters, options: { readonly includeProcessMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const served = this.served;
    const servedTotal = new Counter({
      name: 'lbx_backend_tasks_served_total',
      help: 'Tasks answered OK by this process, by type.',
      labelNames: ['type'],
      registers,
      collect() {
        for (const cell of served.values()) cell.flush();
      },
    });
    const serviceSeconds = new BucketHistogram('lbx_backend_task_service_seconds', 'Time a task spent running (not queued), by type.', SERVICE_TIME_BUCKETS_S, this.registry);
    for (const type of ['SIMPLE', 'CPU_HEAVY', 'OTHER']) {
      this.served.set(type, new CountCell(servedTotal.labels(type)));
      this.serviceTime.set(type, serviceSeconds.cell({ type }));
    }
    this.errors = new ErrorsByCode(
      new Counter({ name: 'lbx_backend_errors_total', help: 'Backend RPC answers that were not OK, by method and gRPC code.', labelNames: ['method', 'code'], registers }),
    );
    this.inFlight = new Gauge({ name: 'lbx_backend_in_flight', help: 'Tasks running or queued right now.', registers, collect: () => this.inFlight.set(counters().inFlight) });
    this.queueDepth = new Gauge({
      name: 'lbx_backend_queue_depth',
      help: 'Tasks waiting for the CPU right now.',
      registers,
      collect: () => this.queueDepth.set(counters().queueDepth),
    });
    this.wantsProcessMetrics = options.includeProcessMetrics === true;
  }

  /** One task answered OK after `serviceUs` of work. */
  servedTask(type: TaskType, serviceUs: number): void {
    const label = typeLabel(type);
    const cell = this.served.get(label);
    if (cell) cell.count += 1;
    this.serviceTime.get(label)?.observe(serviceUs / 1_000_000);
  }

  failed(method: string, statusCode: number | undefined): void {
    this.errors.failed(method, statusCode);
  }

  /** The service with ProcessTask's answers counted: OK ones as served, the rest as errors by code. */
  instrument(service: BackendServer): BackendServer {
    const processTask = service.processTask;
    return {
      ...service,
      processTask: (call: ServerUnaryCall<TaskRequest, TaskResponse>, callback: sendUnaryData<TaskResponse>) => {
        processTask(call, (error, response, ...rest) => {
          if (error) this.failed('ProcessTask', error.code);
          else if (response) this.servedTask(call.request.type, response.serviceUs);
          callback(error, response, ...rest);
        });
      },
    };
  }

  async exposition(): Promise<string> {
    // Process metrics start with the first scrape: prom-client's event-loop lag monitor is a timer (every 10 ms by
    // default: 100 wake-ups a second in every idle backend, a third of a core for 64 of them), and most backends
    // are never scraped. Once a second still shows a stall.
    if (this.wantsProcessMetrics) {
      this.wantsProcessMetrics = false;
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
    }
    return this.registry.metrics();
  }
}
