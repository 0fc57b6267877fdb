// What `lbx bench` measured: the document `--json` prints (schema lbx.bench/v1, docs/json-schema.md) and the HTML report draws.
import type { RunSummary } from '../../core/stats/run-ledger.js';
import type { ThresholdOutcome } from '../../core/thresholds.js';
import type { SendClient } from '../client/recorded-send.js';
import type { LbMode } from '../lb/lb-mode.js';
import type { ProxyKind } from '../../core/dataplane/data-plane-kind.js';

export const BENCH_SCHEMA = 'lbx.bench/v1';

/** One backend's load, sampled with GetLoad while one policy ran; atMs counts from that policy's start. */
export interface LoadSeries {
  readonly address: string;
  readonly points: ReadonlyArray<{ readonly atMs: number; readonly inFlight: number; readonly cpuPercent: number }>;
}

/** Who balanced one arm of a bench: lbx's own picks (look-aside, or its proxy), or a stock grpc-js-xds client following the LB's xDS. */
export type BenchClient = SendClient['kind'];

/** One policy under one client: a row of the bench. */
export interface BenchPolicyResult {
  /** The policy's long name as the LB reports it (round_robin, least_load, …). */
  readonly policy: string;
  readonly client: BenchClient;
  readonly summary: RunSummary;
  /** max/mean of per-backend ok counts over the backends that served any; 1 = even. */
  readonly imbalance: number;
  readonly loadSeries?: readonly LoadSeries[];
  /** Its send was cut short by Ctrl-C or SIGTERM: the figures cover the tasks that started. */
  readonly interrupted?: boolean;
  /** Proxy mode: the data plane that forwarded the tasks (lbx = the LB itself). */
  readonly proxy?: ProxyKind;
  /** Proxy mode: CPU ms the proxy's processes spent per 1,000 calls (attempts), from /proc (the LB; HAProxy's or NGINX's master and workers). */
  readonly proxyCpuMsPer1000?: number;
  /** `--kill-during`: the backend SIGKILLed when half the tasks had ended (started again after the arm). */
  readonly killedBackend?: string;
  /** The machine's 1-minute load average just before the arm started. */
  readonly loadAverage1m?: number;
}

/** `--proxy`: an arm not run because the data plane has no such policy (or setting). */
export interface SkippedArm {
  readonly policy: string;
  readonly proxy: ProxyKind;
  readonly reason: string;
}

export interface BenchResult {
  readonly schema: typeof BENCH_SCHEMA;
  readonly cluster: {
    readonly name: string;
    readonly backends: number;
    readonly mode: LbMode;
    readonly registry: string;
    readonly speeds?: readonly number[];
    readonly weights?: readonly number[];
  };
  readonly workload: {
    readonly simple: number;
    readonly heavy: number;
    readonly concurrency: number;
    readonly seed: number;
    readonly keys?: number;
  };
  readonly startedAtUnixMs: number;
  readonly policies: readonly BenchPolicyResult[];
  readonly thresholds?: ThresholdOutcome;
  /** `--proxy`: the data planes compared, in order; each ran on a private cluster of its own, one after the other. */
  readonly proxies?: readonly ProxyKind[];
  /** `--proxy`: the arms a data plane refused. */
  readonly skipped?: readonly SkippedArm[];
  /** Stopped early by Ctrl-C or SIGTERM: policies after the interrupted one were not measured. */
  readonly interrupted?: boolean;
}
