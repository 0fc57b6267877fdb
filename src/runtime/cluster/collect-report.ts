// Gathers what `lbx report` shows: each backend's own counters, the LB's view, the saved send runs, reconciled, and
// the xDS plan the LB last pushed to stock clients.
import { promises as fs } from 'node:fs';

import { credentials } from '@grpc/grpc-js';

import { reconcile, type Reconciliation } from '../../core/stats/run-ledger.js';
import { BackendClient } from '../wire/gen/lbx/v1/backend.js';
import { LoadBalancerClient, type BackendStats, type GetStatsResponse, type LoadReport } from '../wire/gen/lbx/v1/load_balancer.js';
import type { Component } from '../wire/gen/lbx/v1/supervisor.js';
import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import type { ClusterFile } from './cluster-file.js';
import type { ClusterPaths } from './cluster-paths.js';
import type { LbMode } from '../lb/lb-mode.js';
import { ControlClient } from './control-client.js';
import { listRuns, listRunsInProgress, type RunInProgress, type SavedRun } from './run-store.js';
import { readPersistedCounts, servedCountsFile } from '../backend/durable-served-counts.js';
import { probeGrpcHealth } from './probe-health.js';
import { collectXdsReport, type XdsReport } from '../xds/collect-xds-status.js';
import { faultsInForce } from './cluster-faults.js';

const CALL_TIMEOUT_MS = 2_000;

/**
 * live: asked the backend now · file: it is gone, figures from the counts file it wrote before
 * each answer (exact) · last-report: gone and no file, figures from its last load report ·
 * not-persisted: gone, and its counts file says it could not be kept (a full disk) · unknown: none of these.
 */
export type ServedSource = 'live' | 'file' | 'last-report' | 'not-persisted' | 'unknown';

export interface BackendReport {
  readonly name: string;
  readonly address: string;
  readonly state: string;
  readonly exitReason: string;
  /** serving: answered GetLoad just now · unreachable: running but did not answer · '-': exited. */
  readonly health: string;
  /** The LB's view: serving, removed (with why), or absent when the LB never knew it. */
  readonly lbState: string;
  readonly assigned: number;
  readonly servedSimple: number;
  readonly servedHeavy: number;
  readonly servedSource: ServedSource;
  readonly inFlight: number;
  readonly queueDepth: number;
  readonly cpuPercent: number;
  readonly lastReportAgeMs: number;
  /** Tasks the saved `send` runs got an ok for from this backend. */
  readonly clientOk: number;
  readonly weight: number;
  readonly speed: number;
  /** LB assignments by the policy that made them. */
  readonly assignedByPolicy: Readonly<Record<string, number>>;
  /** When it (last) joined the cluster and when it left; 0 = not (yet). */
  readonly joinedAtUnixMs: number;
  readonly leftAtUnixMs: number;
  readonly restarts: number;
  /** Attempts the saved runs saw fail at this backend. */
  readonly failedAttempts: number;
  /** Outlier ejections by the LB so far (any evidence; `lbx logs lb` and lbx_lb_ejections_total name each one's), and whether it is ejected now. */
  readonly ejections: number;
  readonly ejected: boolean;
}

export interface ClusterReport {
  readonly name: string;
  readonly policy: string;
  readonly mode: LbMode;
  /** The policy's settings in words ("slots=512 vnodes=9"); '' when it has none. */
  readonly policyConfig: string;
  readonly lbAddress: string;
  readonly lbReachable: boolean;
  readonly picks: number;
  readonly unavailable: number;
  readonly backends: readonly BackendReport[];
  /** Client ok counts against the live backends' own served counters. */
  readonly reconciliation: Reconciliation;
  /** Backends whose counters could not be asked (exited): their figures are from a last report, not verified. */
  readonly unverified: readonly string[];
  readonly runs: readonly SavedRun[];
  /** Sends and benches running now: until they end, backends have served tasks no saved run counts yet. */
  readonly inProgress: readonly RunInProgress[];
  /** The disk holding the cluster's state has no room left: runs sent meanwhile could not be saved. */
  readonly isDiskFull: boolean;
  /** The xDS plan the LB last pushed to stock clients (base+107), or why it is unavailable (the LB is down). */
  readonly xds: XdsReport;
  /** Faults injected into backends now (lbx fault), with the calls each touched. */
  readonly faults: readonly FaultInForce[];
  /** Why the faults could not be read (a backend did not answer), when they could not. */
  readonly faultsUnavailable?: string;
}

export interface FaultInForce {
  readonly address: string;
  readonly summary: string;
  /** 0 when it does not clear itself. */
  readonly expiresAtUnixMs: number;
  readonly delayed: number;
  readonly errored: number;
  readonly hung: number;
  /** A kernel network fault (`up --netns`): no calls counted. */
  readonly isNetwork?: boolean;
}

/** The report's form of the faults in force: what a reader needs of each, or why they could not be read. */
async function reportFaults(cluster: ClusterFile): Promise<Pick<ClusterReport, 'faults' | 'faultsUnavailable'>> {
  const found = await faultsInForce(cluster);
  if ('error' in found) return { faults: [], faultsUnavailable: found.error };
  return {
    faults: found.faults.map(({ address, summary, expiresAtUnixMs, delayed, errored, hung, isNetwork }) => ({
      address,
      summary,
      expiresAtUnixMs,
      delayed,
      errored,
      hung,
      ...(isNetwork === true ? { isNetwork } : {}),
    })),
  };
}

/** What the saved runs say, per backend address: ok answers, failed attempts, and attempts that hit the deadline. */
interface RunTotals {
  readonly clientOk: Record<string, number>;
  readonly failedAttempts: Record<string, number>;
  readonly timeouts: Record<string, number>;
}

export async function collectReport(cluster: ClusterFile, paths: ClusterPaths): Promise<ClusterReport> {
  const control = new ControlClient(cluster);
  const lb = new LoadBalancerClient(cluster.lbAddress, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    const [status, lbStats, runs, inProgress, isDiskFull, xds, faults] = await Promise.all([
      control.status(),
      callUnary(lb.getStats.bind(lb), {}, CALL_TIMEOUT_MS).catch(() => undefined),
      listRuns(paths),
      listRunsInProgress(paths),
      isFull(paths.dir),
      collectXdsReport(cluster.lbAddress),
      reportFaults(cluster),
    ]);
    const lbByAddress = new Map((lbStats?.backends ?? []).map((entry) => [entry.address, entry]));
    const totals: RunTotals = { clientOk: sumPerBackend(runs, 'ok'), failedAttempts: sumPerBackend(runs, 'errors'), timeouts: sumPerBackend(runs, 'timeouts') };
    const reports = await Promise.all(
      status.components.filter((component) => component.role === 'backend').map((component) => reportBackend(component, lbByAddress.get(component.address), paths, totals)),
    );
    const withoutBackend = runs.reduce((sum, run) => sum + (run.summary.attemptFailuresWithoutBackend ?? 0), 0);
    return {
      name: cluster.name,
      policy: lbStats?.policy ?? cluster.spec.policy,
      mode: cluster.spec.mode ?? 'lookaside',
      policyConfig: lbStats?.policyConfig ?? '',
      lbAddress: cluster.lbAddress,
      lbReachable: lbStats !== undefined,
      picks: lbStats?.picks ?? 0,
      unavailable: lbStats?.unavailable ?? 0,
      backends: reports,
      reconciliation: reconcileVerifiable(reports, totals, withoutBackend),
      unverified: reports.filter((report) => !isVerifiable(report)).map((report) => report.address),
      runs,
      inProgress,
      isDiskFull,
      xds,
      ...faults,
    };
  } finally {
    control.close();
    lb.close();
  }
}

/** Served counts that can be checked: asked of the live backend, or read from the file it wrote before each answer. */
const isVerifiable = (report: BackendReport): boolean => report.servedSource === 'live' || report.servedSource === 'file';

/** Client ok counts against the served counts of the backends whose counts can be checked. */
function reconcileVerifiable(reports: readonly BackendReport[], totals: RunTotals, failedAttemptsWithoutBackend: number): Reconciliation {
  const verifiable = reports.filter(isVerifiable);
  const byAddress = (value: (report: BackendReport) => number): Record<string, number> => Object.fromEntries(verifiable.map((report) => [report.address, value(report)]));
  return reconcile(
    byAddress((report) => report.clientOk),
    byAddress((report) => report.servedSimple + report.servedHeavy),
    byAddress((report) => report.failedAttempts),
    failedAttemptsWithoutBackend,
    totals.timeouts,
  );
}

/** One backend's row: its own counters (live, from its counts file, or its last load report), the LB's view, the clients' totals. */
async function reportBackend(component: Component, lbEntry: BackendStats | undefined, paths: ClusterPaths, totals: RunTotals): Promise<BackendReport> {
  const gone = component.state === 'exited' || component.state === 'removed';
  // Health is the same probe `lbx status` makes (grpc.health.v1), asked beside the live counts.
  const [live, health] = gone ? [undefined, '-'] : await Promise.all([readLiveLoad(component.address), probeGrpcHealth(component.address)]);
  const persisted = live === undefined ? readPersistedCounts(servedCountsFile(paths.dir, component.name)) : undefined;
  const fromFile = typeof persisted === 'object' ? { servedSimple: persisted.simple, servedHeavy: persisted.heavy } : undefined;
  const figures: Pick<LoadReport, 'servedSimple' | 'servedHeavy'> | undefined = live ?? fromFile ?? lbEntry?.lastReport;
  const servedSource: ServedSource = live ? 'live' : fromFile ? 'file' : persisted === 'not-persisted' ? 'not-persisted' : figures ? 'last-report' : 'unknown';
  return {
    name: component.name,
    address: component.address,
    state: component.state,
    exitReason: component.exitReason,
    health,
    lbState: lbEntry ? (lbEntry.state === 'removed' ? `removed: ${lbEntry.removedReason}` : lbEntry.state) : 'unknown',
    assigned: lbEntry?.assigned ?? 0,
    servedSimple: figures?.servedSimple ?? 0,
    servedHeavy: figures?.servedHeavy ?? 0,
    servedSource,
    inFlight: live?.inFlight ?? 0,
    queueDepth: live?.queueDepth ?? 0,
    cpuPercent: lbEntry?.lastReport?.cpuPercent ?? 0,
    lastReportAgeMs: lbEntry?.lastReportAgeMs ?? -1,
    clientOk: totals.clientOk[component.address] ?? 0,
    weight: lbEntry?.weight || 1,
    speed: lbEntry?.speed || 1,
    assignedByPolicy: lbEntry?.assignedByPolicy ?? {},
    joinedAtUnixMs: lbEntry?.joinedAtUnixMs || component.startedAtUnixMs,
    leftAtUnixMs: gone ? lbEntry?.leftAtUnixMs || component.exitedAtUnixMs : 0,
    restarts: component.restarts,
    failedAttempts: totals.failedAttempts[component.address] ?? 0,
    ejections: lbEntry?.ejections ?? 0,
    ejected: lbEntry?.ejected ?? false,
  };
}

/** Per backend address, the sum over all saved runs of ok answers or of failed attempts. */
function sumPerBackend(runs: readonly SavedRun[], field: 'ok' | 'errors' | 'timeouts'): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const run of runs) {
    for (const backend of run.summary.backends) totals[backend.address] = (totals[backend.address] ?? 0) + (backend[field] ?? 0);
  }
  return totals;
}

/** Whether the file system holding `dir` has no block left for an unprivileged writer. */
async function isFull(dir: string): Promise<boolean> {
  const stats = await fs.statfs(dir).catch(() => undefined);
  return stats !== undefined && stats.bavail === 0;
}

async function readLiveLoad(address: string): Promise<LoadReport | undefined> {
  const client = new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS);
  try {
    return await callUnary(client.getLoad.bind(client), {}, CALL_TIMEOUT_MS);
  } catch {
    return undefined;
  } finally {
    client.close();
  }
}

export type { GetStatsResponse };
