// What one simulated policy run measured, in the shapes `lbx bench` uses (a RunSummary per run), plus what only a simulation knows.

import type { BackendRunSummary, RunSummary } from '../stats/run-ledger.js';
import type { LatencyHistogram } from '../stats/latency-histogram.js';
import type { LogHistogram } from './log-histogram.js';
import { simAddress } from './sim-chooser.js';
import type { SimRunConfig } from './sim-config.js';

/** Backends listed one by one in a summary at most; above, only the totals (a 10,000-backend split says nothing in a table). */
export const MAX_LISTED_BACKENDS = 64;

export interface SimOutcome {
  /** As bench's: throughput per simulated second, latency percentiles from the HdrHistogram, the split per backend. */
  readonly summary: RunSummary;
  /** max / mean of per-backend measured counts over the backends that served any (bench's imbalance). */
  readonly imbalance: number;
  /** The exact mean latency (a sum, not the histogram's bucketed mean), for the supermarket check. */
  readonly meanLatencyMs: number;
  /** Simulated time from the first measured request's end to the last end. */
  readonly simulatedMs: number;
  /** Requests started and ended, warm-up included. */
  readonly ended: number;
  /** Requests measured (after the warm-up). */
  readonly measured: number;
  /** Picks that found no backend. */
  readonly unavailable: number;
  /** Busy time / (backends × simulated time). */
  readonly utilisation: number;
  /** Client mode: clients per backend (min, mean, max); absent otherwise. */
  readonly connections?: { readonly min: number; readonly mean: number; readonly max: number };
  /** balancer: lbx's Balancer picked; picker: its policy's picker alone (above the Balancer's 1,024 members). */
  readonly path: 'balancer' | 'picker';
  /** Request slots ever allocated: the most requests alive at once (in flight, or ended and not yet told to the LB). Memory follows this, not the request count. */
  readonly slots: number;
}

export interface SimCounters {
  readonly config: SimRunConfig;
  readonly ended: number;
  readonly measured: number;
  readonly latency: LatencyHistogram;
  readonly latencySumMs: number;
  readonly firstMeasuredAtMs: number;
  readonly lastEndMs: number;
  readonly served: Float64Array;
  /** Backend-busy time summed over backends (a backend with a task counts whether or not it has a core). */
  readonly busyMs: number;
  readonly backendLatency: readonly LogHistogram[];
  readonly unavailable: number;
  readonly connections: Int32Array | undefined;
  readonly path: 'balancer' | 'picker';
  readonly slots: number;
}

export function summarizeSim(counters: SimCounters): SimOutcome {
  const { config, measured, served } = counters;
  // Throughput over the whole run when nothing was left out; after a warm-up, from the first measured end.
  const elapsedMs = config.warmupRequests > 0 && Number.isFinite(counters.firstMeasuredAtMs) ? counters.lastEndMs - counters.firstMeasuredAtMs : counters.lastEndMs;
  const summary: RunSummary = {
    sent: measured,
    ok: measured,
    failed: 0,
    retried: 0,
    failuresByReason: {},
    attemptFailuresByReason: {},
    attemptFailuresWithoutBackend: 0,
    elapsedMs,
    throughputPerSec: elapsedMs > 0 ? (measured / elapsedMs) * 1_000 : 0,
    latencyMs: counters.latency.summaryMs(),
    backends: config.backends <= MAX_LISTED_BACKENDS ? listBackends(counters) : [],
  };
  const busyMs = counters.busyMs;
  return {
    summary,
    imbalance: imbalanceOf(served),
    meanLatencyMs: measured > 0 ? counters.latencySumMs / measured : 0,
    simulatedMs: elapsedMs,
    ended: counters.ended,
    measured,
    unavailable: counters.unavailable,
    utilisation: counters.lastEndMs > 0 ? busyMs / (config.backends * counters.lastEndMs) : 0,
    ...(counters.connections ? { connections: spreadOf(counters.connections) } : {}),
    path: counters.path,
    slots: counters.slots,
  };
}

function listBackends(counters: SimCounters): BackendRunSummary[] {
  const { served, backendLatency, measured } = counters;
  return Array.from(served, (ok, backend) => ({
    address: simAddress(backend),
    ok,
    share: measured > 0 ? ok / measured : 0,
    errors: 0,
    latencyMs: { p50: roundMicros((backendLatency[backend] as LogHistogram).percentileMs(50)), p99: roundMicros((backendLatency[backend] as LogHistogram).percentileMs(99)) },
  })).filter((backend) => backend.ok > 0);
}

/** Bench's imbalance: max / mean over the backends that served any; 0 when none did. */
function imbalanceOf(served: Float64Array): number {
  let max = 0;
  let sum = 0;
  let count = 0;
  for (const value of served) {
    if (value <= 0) continue;
    max = Math.max(max, value);
    sum += value;
    count += 1;
  }
  return count === 0 ? 0 : max / (sum / count);
}

export function spreadOf(counts: Int32Array): { min: number; mean: number; max: number } {
  let min = Infinity;
  let max = 0;
  let sum = 0;
  for (const value of counts) {
    min = Math.min(min, value);
    max = Math.max(max, value);
    sum += value;
  }
  return counts.length === 0 ? { min: 0, mean: 0, max: 0 } : { min, mean: sum / counts.length, max };
}

const roundMicros = (ms: number): number => Math.round(ms * 1_000) / 1_000;
