// The load balancer's Prometheus metrics: picks, pick time, load, health, errors and membership.
//
// The pick path stays cheap: each pick adds 1 to a cell cached per (policy, backend) and to a
// bucket of a typed array (see hot-path.ts); no label object is built and nothing is hashed per
// pick, and prom-client catches up when scraped. Everything that
// is state rather than an event (in flight, reported load, health) is read from the balancer
// once per scrape, so it costs the pick path nothing.
import { status as GrpcStatus, type sendUnaryData, type ServerDuplexStream, type ServerUnaryCall } from '@grpc/grpc-js';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

import type { Balancer, BalancerEvent } from '../../core/balancer.js';
import type { BackendLoad } from '../../core/load/backend-load.js';
import type { PickRequest, PickResult } from '../../core/policies/policy.js';
import type { GetServerBatch, GetServerReply, GetServerReplyBatch, GetServerRequest, LoadBalancerServer } from '../wire/gen/lbx/v1/load_balancer.js';
import { grpcCodeName } from './grpc-code-names.js';
import { ErrorsByCode } from './errors-by-code.js';
import { BucketHistogram, CountCell, type HistogramCell } from './hot-path.js';
import type { MetricsSource } from './metrics-http.js';

/** Picks take microseconds: buckets from 1 µs to 10 ms, so a slow one still lands in a bucket. */
export const PICK_DURATION_BUCKETS_S = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2];

type Counted = { inc(value?: number): void };

export interface LbMetricsOptions {
  /** The clock the balancer's load model runs on (performance.now in the LB). */
  readonly nowMs: () => number;
  /** Node's process metrics (CPU, memory, event-loop lag, GC): cheap, read at scrape time. */
  readonly includeProcessMetrics?: boolean;
}

export class LbMetrics implements MetricsSource {
  readonly registry = new Registry();
  private balancer: Balancer | undefined;
  /** The balancer's load model of each backend picked so far, for its in-flight figure. */
  private readonly loads = new Map<string, BackendLoad>();
  private readonly pickCells = new Map<string, Map<string, CountCell>>();
  private readonly failureChildren = new Map<string, Counted>();

  private readonly picks: Counter<'backend' | 'policy'>;
  private readonly pickDuration: HistogramCell;
  private readonly errors: ErrorsByCode;
  private readonly reportedFailures: Counter<'backend' | 'code'>;
  private readonly membershipChanges: Counter<'change'>;
  private readonly ejections: Counter<'backend' | 'evidence'>;
  private readonly inFlight: Gauge<'backend'>;
  private readonly reportedInFlight: Gauge<'backend'>;
  private readonly reportedQueueDepth: Gauge<'backend'>;
  private readonly reportedCpuPercent: Gauge<'backend'>;
  private readonly reportAge: Gauge<'backend'>;
  private readonly serving: Gauge<'backend'>;
  private readonly ejected: Gauge<'backend'>;
  private readonly members: Gauge<'state'>;
  private readonly policy: Gauge<'policy'>;

  constructor(private readonly options: LbMetricsOptions) {
    const registers = [this.registry];
    const pickCells = this.pickCells;
    this.picks = new Counter({
      name: 'lbx_lb_picks_total',
      help: 'Backends chosen, by backend address and policy.',
      labelNames: ['backend', 'policy'],
      registers,
      collect() {
        for (const byBackend of pickCells.values()) for (const cell of byBackend.values()) cell.flush();
      },
    });
    this.pickDuration = new BucketHistogram(
      'lbx_lb_pick_duration_seconds',
      'Time the balancer took to answer one pick (GetServer, GetServerStream, proxy-mode forwards), chosen or unavailable.',
      PICK_DURATION_BUCKETS_S,
      this.registry,
    ).cell();
    const errors = new ErrorsByCode();
    this.errors = errors;
    new Counter({
      name: 'lbx_lb_errors_total',
      help: 'LoadBalancer RPC answers that were not OK, by method and gRPC code.',
      labelNames: ['method', 'code'],
      registers,
      collect() {
        errors.collectInto(this);
      },
    });
    this.reportedFailures = new Counter({
      name: 'lbx_lb_reported_failures_total',
      help: 'Failed calls reported back to the LB (PickDone, proxy forwards), by backend address and gRPC code.',
      labelNames: ['backend', 'code'],
      registers,
    });
    this.membershipChanges = new Counter({ name: 'lbx_lb_membership_changes_total', help: 'Backends joining, leaving, ejected and returned.', labelNames: ['change'], registers });
    this.ejections = new Counter({
      name: 'lbx_lb_ejections_total',
      help: 'Outlier ejections, by backend address and evidence (own-calls, several-clients, probe-failed, failure-percentage, success-rate).',
      labelNames: ['backend', 'evidence'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'lbx_lb_backend_in_flight',
      help: "In-flight calls per backend, as the balancer's load model counts them (reported plus assigned since).",
      labelNames: ['backend'],
      registers,
    });
    this.reportedInFlight = new Gauge({ name: 'lbx_lb_reported_in_flight', help: "In-flight tasks in the backend's last load report.", labelNames: ['backend'], registers });
    this.reportedQueueDepth = new Gauge({ name: 'lbx_lb_reported_queue_depth', help: "Queued tasks in the backend's last load report.", labelNames: ['backend'], registers });
    this.reportedCpuPercent = new Gauge({
      name: 'lbx_lb_reported_cpu_percent',
      help: "Process CPU use in the backend's last load report (100 = one core).",
      labelNames: ['backend'],
      registers,
    });
    this.reportAge = new Gauge({ name: 'lbx_lb_report_age_seconds', help: "Age of the backend's last load report.", labelNames: ['backend'], registers });
    this.serving = new Gauge({ name: 'lbx_lb_backend_serving', help: '1 while the backend is a serving member, 0 once removed.', labelNames: ['backend'], registers });
    this.ejected = new Gauge({ name: 'lbx_lb_backend_ejected', help: '1 while outlier detection has ejected the backend.', labelNames: ['backend'], registers });
    this.members = new Gauge({ name: 'lbx_lb_members', help: 'Backends the LB knows, by state.', labelNames: ['state'], registers });
    this.policy = new Gauge({ name: 'lbx_lb_policy_info', help: 'The active policy (value 1).', labelNames: ['policy'], registers });
    if (options.includeProcessMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Counts every pick and reported outcome of `balancer`, whoever asks (the LoadBalancer
   * service, its stream, the proxy). Wraps the instance's own methods, so core stays unaware.
   */
  meter(balancer: Balancer): void {
    this.balancer = balancer;
    const pick = balancer.pick.bind(balancer);
    const recordOutcome = balancer.recordOutcome.bind(balancer);
    balancer.pick = (request: PickRequest): PickResult => {
      const startedMs = performance.now();
      const result = pick(request);
      this.pickDuration.observe((performance.now() - startedMs) / 1_000);
      if (result.kind === 'backend') this.picked(result.backend.address, balancer.policyName, result.backend.load);
      return result;
    };
    // The reporter passes through: the balancer tells one client's reports from several (see Balancer.recordOutcome).
    balancer.recordOutcome = (address: string, ok: boolean, statusCode: number, reporter?: string): void => {
      recordOutcome(address, ok, statusCode, reporter);
      if (!ok) this.reportedFailure(address, statusCode);
    };
  }

  /** One pick of `address` under `policy`: its cell and label child are made on the first such pick only. */
  picked(address: string, policy: string, load?: BackendLoad): void {
    let byBackend = this.pickCells.get(policy);
    if (byBackend === undefined) {
      byBackend = new Map();
      this.pickCells.set(policy, byBackend);
    }
    let cell = byBackend.get(address);
    if (cell === undefined) {
      cell = new CountCell(this.picks.labels(address, policy));
      byBackend.set(address, cell);
    }
    cell.count += 1;
    // A backend that left and came back has a new load model: keep the latest.
    if (load !== undefined && this.loads.get(address) !== load) this.loads.set(address, load);
  }

  reportedFailure(address: string, statusCode: number): void {
    const key = `${address}\u0000${statusCode}`;
    let child = this.failureChildren.get(key);
    if (child === undefined) {
      child = this.reportedFailures.labels(address, grpcCodeName(statusCode));
      this.failureChildren.set(key, child);
    }
    child.inc();
  }

  /** A LoadBalancer RPC answered with a non-OK code. */
  failed(method: string, statusCode: number | undefined): void {
    this.errors.failed(method, statusCode);
  }

  /** The balancer's events, as membership changes. */
  onBalancerEvent(event: BalancerEvent): void {
    if (event.type === 'joined' || event.type === 'removed' || event.type === 'ejected' || event.type === 'returned') {
      this.membershipChanges.labels(event.type).inc();
    }
    if (event.type === 'ejected') this.ejections.labels(event.address, event.evidence).inc();
  }

  /** The service with every non-OK answer counted under its method (GetServer, GetServerStream, …). */
  instrument(service: LoadBalancerServer): LoadBalancerServer {
    const wrapped: Record<string, unknown> = {};
    for (const [key, handler] of Object.entries(service)) {
      const method = key.charAt(0).toUpperCase() + key.slice(1);
      if (key === 'getServerStream') {
        wrapped[key] = (call: ServerDuplexStream<GetServerRequest, GetServerReply>) => {
          const write = call.write.bind(call) as (reply: GetServerReply) => boolean;
          // Each pick's answer carries its own status: count the ones that are not OK.
          (call as { write: (reply: GetServerReply) => boolean }).write = (reply) => {
            if (reply.statusCode !== GrpcStatus.OK) this.failed(method, reply.statusCode);
            return write(reply);
          };
          (handler as (call: ServerDuplexStream<GetServerRequest, GetServerReply>) => void)(call);
        };
      } else if (key === 'getServerBatchStream') {
        wrapped[key] = (call: ServerDuplexStream<GetServerBatch, GetServerReplyBatch>) => {
          const write = call.write.bind(call) as (batch: GetServerReplyBatch) => boolean;
          (call as { write: (batch: GetServerReplyBatch) => boolean }).write = (batch) => {
            for (const reply of batch.replies) if (reply.statusCode !== GrpcStatus.OK) this.failed(method, reply.statusCode);
            return write(batch);
          };
          (handler as (call: ServerDuplexStream<GetServerBatch, GetServerReplyBatch>) => void)(call);
        };
      } else {
        wrapped[key] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
          (handler as (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void)(call, (error, ...rest) => {
            if (error) this.failed(method, error.code);
            callback(error, ...rest);
          });
        };
      }
    }
    return wrapped as LoadBalancerServer;
  }

  async exposition(): Promise<string> {
    this.refresh();
    return this.registry.metrics();
  }

  /** Reads the balancer's state into the gauges; members it has forgotten disappear. */
  refresh(): void {
    const balancer = this.balancer;
    if (balancer === undefined) return;
    const stats = balancer.stats();
    const nowMs = this.options.nowMs();
    for (const gauge of [
      this.inFlight,
      this.reportedInFlight,
      this.reportedQueueDepth,
      this.reportedCpuPercent,
      this.reportAge,
      this.serving,
      this.ejected,
      this.members,
      this.policy,
    ])
      gauge.reset();
    let serving = 0;
    for (const member of stats.backends) {
      const backend = member.address;
      const isServing = member.state === 'serving';
      if (isServing) serving += 1;
      this.serving.labels(backend).set(isServing ? 1 : 0);
      this.ejected.labels(backend).set(member.ejected ? 1 : 0);
      const load = this.loads.get(backend);
      this.inFlight.labels(backend).set(isServing ? (load?.inFlight(nowMs) ?? member.lastReport?.inFlight ?? 0) : 0);
      if (member.lastReport !== undefined) {
        this.reportedInFlight.labels(backend).set(member.lastReport.inFlight);
        this.reportedQueueDepth.labels(backend).set(member.lastReport.queueDepth);
        this.reportedCpuPercent.labels(backend).set(member.lastReport.cpuPercent);
      }
      if (member.lastReportAgeMs !== undefined) this.reportAge.labels(backend).set(member.lastReportAgeMs / 1_000);
    }
    this.members.labels('serving').set(serving);
    this.members.labels('removed').set(stats.backends.length - serving);
    this.policy.labels(stats.policy).set(1);
  }
}
