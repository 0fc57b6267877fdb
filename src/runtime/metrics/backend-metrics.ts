// A backend's Prometheus metrics: tasks served by type, service time, in flight, queue depth, errors.
//
// Counted where ProcessTask answers, so the served counter is exactly the OK answers this
// process gave (a plain add per task, see hot-path.ts); in flight and queue depth are read from
// the executor once per scrape. prom-client itself is loaded at the first scrape: most backends
// are never scraped, and loading it (it brings node:cluster, v8 and perf_hooks along) cost every
// backend's start about 18 ms of CPU and 1.4 MB of RSS here (2026-12-07).
import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type { Registry } from 'prom-client';

import { TaskType } from '../wire/gen/lbx/v1/task.js';
import type { BackendServer, TaskRequest, TaskResponse } from '../wire/gen/lbx/v1/backend.js';
import { ErrorsByCode } from './errors-by-code.js';
import { BucketHistogram, HistogramCell } from './hot-path.js';
import type { MetricsSource } from './metrics-http.js';

/** How often the event-loop lag monitor wakes (prom-client's default is 10 ms). */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 1_000;

/** SIMPLE tasks take microseconds, CPU_HEAVY tens of milliseconds (more on a slow backend). */
export const SERVICE_TIME_BUCKETS_S = [1e-5, 1e-4, 5e-4, 1e-3, 5e-3, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const SERVICE_TIME_BOUNDS = [...SERVICE_TIME_BUCKETS_S].sort((a, b) => a - b);
const TASK_TYPES = ['SIMPLE', 'CPU_HEAVY', 'OTHER'] as const;
type TypeLabel = (typeof TASK_TYPES)[number];

export interface BackendCounters {
  readonly inFlight: number;
  readonly queueDepth: number;
}

/** A task type as a label value: SIMPLE, CPU_HEAVY, or OTHER for anything a client made up. */
const typeLabel = (type: TaskType): TypeLabel => (type === TaskType.SIMPLE ? 'SIMPLE' : type === TaskType.CPU_HEAVY ? 'CPU_HEAVY' : 'OTHER');

export class BackendMetrics implements MetricsSource {
  private readonly served: Record<TypeLabel, number> = { SIMPLE: 0, CPU_HEAVY: 0, OTHER: 0 };
  private readonly serviceTime = new Map<TypeLabel, HistogramCell>(TASK_TYPES.map((type) => [type, new HistogramCell({ type }, SERVICE_TIME_BOUNDS)]));
  private readonly errors = new ErrorsByCode();
  private readonly includeProcessMetrics: boolean;
  private registry: Promise<Registry> | undefined;

  constructor(
    private readonly counters: () => BackendCounters,
    options: { readonly includeProcessMetrics?: boolean } = {},
  ) {
    this.includeProcessMetrics = options.includeProcessMetrics === true;
  }

  /** One task answered OK after `serviceUs` of work. */
  servedTask(type: TaskType, serviceUs: number): void {
    const label = typeLabel(type);
    this.served[label] += 1;
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
    this.registry ??= this.createRegistry();
    return (await this.registry).metrics();
  }

  /**
   * The registry, made at the first scrape; every metric reads this object's counts when scraped. Process metrics start
   * here too: prom-client's event-loop lag monitor is a timer (every 10 ms by default: 100 wake-ups a second in every
   * idle backend, a third of a core for 64 of them). Once a second still shows a stall.
   */
  private async createRegistry(): Promise<Registry> {
    const { collectDefaultMetrics, Counter, Gauge, Registry } = await import('prom-client');
    const registry = new Registry();
    const registers = [registry];
    const { served, errors, counters } = this;
    // A counter set to the count kept here at each scrape (reset, then one add: nothing scrapes between the two).
    new Counter({
      name: 'lbx_backend_tasks_served_total',
      help: 'Tasks answered OK by this process, by type.',
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const type of TASK_TYPES) this.inc({ type }, served[type]);
      },
    });
    const serviceSeconds = new BucketHistogram('lbx_backend_task_service_seconds', 'Time a task spent running (not queued), by type.', SERVICE_TIME_BUCKETS_S, registry);
    for (const cell of this.serviceTime.values()) serviceSeconds.adopt(cell);
    new Counter({
      name: 'lbx_backend_errors_total',
      help: 'Backend RPC answers that were not OK, by method and gRPC code.',
      labelNames: ['method', 'code'],
      registers,
      collect() {
        errors.collectInto(this);
      },
    });
    new Gauge({
      name: 'lbx_backend_in_flight',
      help: 'Tasks running or queued right now.',
      registers,
      collect() {
        this.set(counters().inFlight);
      },
    });
    new Gauge({
      name: 'lbx_backend_queue_depth',
      help: 'Tasks waiting for the CPU right now.',
      registers,
      collect() {
        this.set(counters().queueDepth);
      },
    });
    if (this.includeProcessMetrics) collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
    return registry;
  }
}
