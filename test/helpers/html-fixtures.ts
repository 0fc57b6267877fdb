// Small synthetic inputs for the HTML renderers: a three-backend bench over three policies, and a report with two runs.
import type { BenchHtmlInput, BenchHtmlPolicy } from '../../src/cli/html/render-bench-html.js';
import type { ReportHtmlInput } from '../../src/cli/html/render-report-html.js';
import type { RunSummary } from '../../src/core/stats/run-ledger.js';
import type { BackendReport } from '../../src/runtime/cluster/collect-report.js';
import type { SavedRun } from '../../src/runtime/cluster/run-store.js';

const ADDRESSES = ['127.0.0.1:29601', '127.0.0.1:29602', '127.0.0.1:29603'] as const;

function summary(okPerBackend: readonly number[], p50: number, throughputPerSec: number): RunSummary {
  const ok = okPerBackend.reduce((sum, count) => sum + count, 0);
  return {
    sent: ok,
    ok,
    failed: 0,
    retried: 0,
    failuresByReason: {},
    attemptFailuresByReason: {},
    attemptFailuresWithoutBackend: 0,
    elapsedMs: Math.round((ok / throughputPerSec) * 1_000),
    throughputPerSec,
    latencyMs: { p50, p90: p50 * 2, p99: p50 * 5, max: p50 * 9, mean: p50 * 1.3 },
    backends: okPerBackend.map((count, index) => ({ address: ADDRESSES[index]!, ok: count, share: count / ok, errors: 0, latencyMs: { p50, p99: p50 * 5 } })),
  };
}

function policy(name: string, okPerBackend: readonly number[], p50: number, throughputPerSec: number): BenchHtmlPolicy {
  const mean = okPerBackend.reduce((sum, count) => sum + count, 0) / okPerBackend.length;
  return {
    policy: name,
    client: 'lbx',
    summary: summary(okPerBackend, p50, throughputPerSec),
    imbalance: Math.max(...okPerBackend) / mean,
    loadSeries: ADDRESSES.map((address, backend) => ({
      address,
      points: Array.from({ length: 6 }, (_, step) => ({ atMs: step * 500, inFlight: (step + backend) % 4, cpuPercent: 20 + step * 5 + backend })),
    })),
  };
}

export function syntheticBenchResult(): BenchHtmlInput {
  return {
    schema: 'lbx.bench/v1',
    cluster: { name: 'bench', backends: 3, mode: 'lookaside', registry: 'embedded', speeds: [1, 1, 0.25] },
    workload: { simple: 300, heavy: 12, concurrency: 8, seed: 7 },
    startedAtUnixMs: Date.UTC(2026, 0, 2, 3, 4, 5),
    policies: [policy('round_robin', [104, 104, 104], 1.2, 900), policy('least_load', [130, 128, 54], 0.9, 1_100), policy('p2c', [120, 125, 67], 1, 1_000)],
  };
}

function backendReport(address: string, index: number): BackendReport {
  const served = [220, 200, 90][index]!;
  return {
    name: `backend-${index + 1}`,
    address,
    state: 'running',
    exitReason: '',
    health: 'serving',
    lbState: 'serving',
    assigned: served,
    servedSimple: served - 4,
    servedHeavy: 4,
    servedSource: 'live',
    inFlight: 0,
    queueDepth: 0,
    cpuPercent: 3,
    lastReportAgeMs: 120,
    clientOk: served,
    weight: 1,
    speed: index === 2 ? 0.25 : 1,
    assignedByPolicy: { least_load: served },
    joinedAtUnixMs: 1_000,
    leftAtUnixMs: 0,
    restarts: 0,
    failedAttempts: 0,
    ejections: 0,
    ejected: false,
  };
}

function savedRun(id: string, okPerBackend: readonly number[], startedAtUnixMs: number): SavedRun {
  return {
    schemaVersion: 1,
    id,
    clientId: 'client-1',
    target: { kind: 'lb', address: '127.0.0.1:29600' },
    policy: 'least_load',
    seed: 1,
    startedAtUnixMs,
    finishedAtUnixMs: startedAtUnixMs + 400,
    summary: summary(okPerBackend, 1.5, 700),
    planned: okPerBackend.reduce((sum, count) => sum + count, 0),
    lbWaits: 0,
    mode: 'lookaside',
    request: { simple: 250, heavy: 5, concurrency: 8, timeoutMs: 10_000 },
  };
}

export function syntheticReportInput(): ReportHtmlInput {
  const start = Date.UTC(2026, 0, 2, 3, 4, 5);
  return {
    report: {
      name: 'default',
      policy: 'least_load',
      mode: 'lookaside',
      policyConfig: '',
      lbAddress: '127.0.0.1:29600',
      lbReachable: true,
      picks: 510,
      unavailable: 0,
      backends: ADDRESSES.map(backendReport),
      reconciliation: { matches: true, rows: [] },
      unverified: [],
      runs: [savedRun('run-1', [110, 100, 45], start), savedRun('run-2', [110, 100, 45], start + 5_000)],
      inProgress: [],
      isDiskFull: false,
      faults: [],
      xds: { address: '127.0.0.1:29607', isAvailable: false, unavailableReason: '14 UNAVAILABLE: No connection established' },
    },
    loadHistory: ADDRESSES.map((address, backend) => ({
      address,
      points: Array.from({ length: 4 }, (_, step) => ({ atUnixMs: start + step * 500, inFlight: step + backend, queueDepth: step, cpuPercent: 10 * step + backend })),
    })),
    generatedAtUnixMs: start + 10_000,
  };
}
