// ORCA's out-of-band stream (xds.service.orca.v3.OpenRcaService) on every backend: a client opens
// StreamCoreMetrics and gets an OrcaLoadReport every interval, which gRPC's weighted_round_robin turns
// into weights (see core/load/orca-load.ts for what each figure means).
//
// lbx serves it itself rather than through grpc-js's ServerMetricRecorder: that one loads orca.proto from
// the grpc-js package directory at run time (no single binary can), and re-parses it for every stream.
import { availableParallelism, totalmem } from 'node:os';
import type { ServerWritableStream } from '@grpc/grpc-js';
import { Status as GrpcStatus } from '../grpc/status.js';

import { orcaFigures, orcaInterval } from '../../core/load/orca-load.js';
import type { ServiceBinding } from '../grpc/grpc-server.js';
import type { OrcaLoadReport } from '../wire/gen/xds/data/orca/v3/orca_load_report.js';
import { OpenRcaServiceService, type OrcaLoadReportRequest } from '../wire/gen/xds/service/orca/v3/orca.js';
import type { TaskExecutor } from './task-executor.js';
import { NOMINAL_MS_PER_WORK_UNIT } from './cpu-work.js';

/** Open streams, at most: each holds a timer; past this a new one gets RESOURCE_EXHAUSTED. */
export const MAX_ORCA_STREAMS = 256;

/**
 * Each report covers at least this much of the past (sent every interval, overlapping): a backend answering a
 * few calls a second would otherwise report a rate off by a third from one second to the next, and a
 * weighted_round_robin client would move its share as much.
 */
export const MIN_WINDOW_MS = 3_000;

type OrcaCall = ServerWritableStream<OrcaLoadReportRequest, OrcaLoadReport>;

interface Mark {
  readonly atMs: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly workUnits: number;
  readonly answered: number;
  readonly errors: number;
}

const durationMs = (duration: OrcaLoadReportRequest['reportInterval']): number | undefined =>
  duration === undefined ? undefined : duration.seconds * 1_000 + duration.nanos / 1_000_000;

export class OrcaService {
  private readonly streams = new Set<OrcaCall>();
  private readonly timers = new Map<OrcaCall, NodeJS.Timeout>();

  constructor(
    private readonly executor: TaskExecutor,
    /** Calls answered with an error since start (injected faults): ORCA's eps. */
    private readonly errorsSoFar: () => number = () => 0,
  ) {}

  get binding(): ServiceBinding {
    return { name: 'xds.service.orca.v3.OpenRcaService', definition: OpenRcaServiceService, implementation: { streamCoreMetrics: (call: OrcaCall) => this.open(call) } };
  }

  /** Ends every stream (the backend is stopping): clients stop expecting reports instead of waiting on a dead stream. */
  close(): void {
    for (const call of [...this.streams]) {
      this.forget(call);
      call.end();
    }
  }

  private open(call: OrcaCall): void {
    const interval = orcaInterval(durationMs(call.request.reportInterval));
    if (!interval.ok) return this.refuse(call, GrpcStatus.INVALID_ARGUMENT, interval.message);
    if (this.streams.size >= MAX_ORCA_STREAMS) return this.refuse(call, GrpcStatus.RESOURCE_EXHAUSTED, `this backend already serves ${MAX_ORCA_STREAMS} ORCA streams`);
    this.streams.add(call);
    const marks: Mark[] = [this.mark()];
    const windowMs = Math.max(interval.ms, MIN_WINDOW_MS);
    let isWaitingForDrain = false;
    const send = (): void => {
      const next = this.mark();
      marks.push(next);
      // The oldest mark kept is the newest one at least a window old.
      while (marks.length > 2 && next.atMs - marks[1]!.atMs >= windowMs) marks.shift();
      // A client that stops reading gets no backlog: reports are skipped until HTTP/2 takes the last one.
      if (isWaitingForDrain) return;
      if (!call.write(this.report(marks[0]!, next))) {
        isWaitingForDrain = true;
        call.once('drain', () => (isWaitingForDrain = false));
      }
    };
    this.timers.set(call, setInterval(send, interval.ms));
    const end = (): void => this.forget(call);
    call.on('cancelled', end);
    call.on('close', end);
    call.on('error', end);
  }

  private refuse(call: OrcaCall, code: GrpcStatus, details: string): void {
    call.emit('error', { code, details, message: details });
  }

  private forget(call: OrcaCall): void {
    clearInterval(this.timers.get(call));
    this.timers.delete(call);
    this.streams.delete(call);
  }

  private mark(): Mark {
    const counters = this.executor.counters;
    return {
      atMs: performance.now(),
      cpu: process.cpuUsage(),
      workUnits: this.executor.workUnitsRun,
      answered: counters.servedSimple + counters.servedHeavy,
      errors: this.errorsSoFar(),
    };
  }

  private report(from: Mark, to: Mark): OrcaLoadReport {
    const counters = this.executor.counters;
    const figures = orcaFigures({
      wallMs: to.atMs - from.atMs,
      cpuMicros: to.cpu.user - from.cpu.user + (to.cpu.system - from.cpu.system),
      workMs: (to.workUnits - from.workUnits) * NOMINAL_MS_PER_WORK_UNIT,
      answered: to.answered - from.answered,
      errors: to.errors - from.errors,
      cores: availableParallelism(),
      rssBytes: process.memoryUsage.rss(),
      totalMemoryBytes: totalmem(),
      inFlight: counters.inFlight,
      queueDepth: counters.queueDepth,
    });
    return { ...figures, rps: Math.round(figures.rpsFractional), requestCost: {}, utilization: {}, namedMetrics: { ...figures.namedMetrics } };
  }
}
