// CI thresholds in the manner of k6 (--max-p99 200ms, --max-error-rate 1%, --min-throughput 1000, --max-imbalance 1.2): parsing and evaluation.
import { parseDurationMs } from './duration.js';
import { LbxError } from './lbx-error.js';
import { parseFraction } from './fraction.js';
import type { RunSummary } from './stats/run-ledger.js';

/** The thresholds lbx knows, each a limit on one measured figure. */
export type ThresholdName = 'max-p99' | 'max-error-rate' | 'min-throughput' | 'max-imbalance';

/** Limits as given; absent ones are not checked. Units: p99 in ms, error rate a fraction 0–1, throughput tasks/s, imbalance max/mean. */
export interface Thresholds {
  readonly maxP99Ms?: number;
  readonly maxErrorRate?: number;
  readonly minThroughputPerSec?: number;
  readonly maxImbalance?: number;
}

/** One threshold checked against one run (and, in a bench, one policy). */
export interface ThresholdCheck {
  readonly name: ThresholdName;
  /** 'ms' for max-p99, 'fraction' for max-error-rate, 'tasks/s' for min-throughput, 'ratio' for max-imbalance. */
  readonly unit: 'ms' | 'fraction' | 'tasks/s' | 'ratio';
  readonly limit: number;
  readonly measured: number;
  readonly passed: boolean;
  /** The policy the run used (bench only). */
  readonly policy?: string;
  /** Who balanced the run, when a bench compared clients (`bench --client lbx,xds`). */
  readonly client?: string;
  /** The data plane that forwarded the run, when a bench compared them (`bench --proxy lbx,haproxy`). */
  readonly proxy?: string;
}

export interface ThresholdOutcome {
  readonly passed: boolean;
  readonly checks: readonly ThresholdCheck[];
}

/** The figures the thresholds are checked against. */
export interface MeasuredRun {
  readonly summary: RunSummary;
  readonly imbalance: number;
  readonly policy?: string;
  readonly client?: string;
  readonly proxy?: string;
}

const NUMBER = /^(\d+(?:\.\d+)?|\.\d+)$/;

/** A latency limit in ms: "200ms", "0.5s", or a bare number of ms (lbx's one duration parser). */
export function parseMaxP99Ms(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw usage('--max-p99', text, 'a duration such as 200ms, 0.5s or 200 (ms)');
  return ms;
}

/** An error-rate limit as a fraction: "0", "0.01", or a percentage "1%"; within 0–1. */
export function parseMaxErrorRate(text: string): number {
  const value = parseFraction(text);
  if (value === undefined) throw usage('--max-error-rate', text, 'a fraction from 0 to 1 (e.g. 0.01) or a percentage (e.g. 1%)');
  return value;
}

/** A throughput floor in tasks per second: a positive number. */
export function parseMinThroughput(text: string): number {
  const trimmed = text.trim().replace(/\/s$/, '');
  const value = NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(value > 0)) throw usage('--min-throughput', text, 'tasks per second, a number above 0 (e.g. 1000)');
  return value;
}

/** An imbalance ceiling: max/mean of per-backend ok counts, 1 = perfectly even, so at least 1. */
export function parseMaxImbalance(text: string): number {
  const trimmed = text.trim();
  const value = NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(value >= 1)) throw usage('--max-imbalance', text, 'a ratio of max to mean share, at least 1 (e.g. 1.2)');
  return value;
}

/** max/mean of per-backend ok counts over the backends present; 1 when even, 0 when nothing succeeded. */
export function computeImbalance(summary: RunSummary): number {
  const counts = summary.backends.map((backend) => backend.ok);
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (counts.length === 0 || total === 0) return 0;
  return Math.max(...counts) / (total / counts.length);
}

export const hasThresholds = (thresholds: Thresholds): boolean => Object.values(thresholds).some((value) => value !== undefined);

/** Checks every given threshold against every run; the outcome fails when any check does. */
export function evaluateThresholds(thresholds: Thresholds, runs: readonly MeasuredRun[]): ThresholdOutcome {
  const checks: ThresholdCheck[] = [];
  for (const run of runs) {
    const labels = {
      ...(run.policy === undefined ? {} : { policy: run.policy }),
      ...(run.client === undefined ? {} : { client: run.client }),
      ...(run.proxy === undefined ? {} : { proxy: run.proxy }),
    };
    const { summary } = run;
    if (thresholds.maxP99Ms !== undefined) {
      const measured = summary.latencyMs.p99;
      checks.push({ name: 'max-p99', unit: 'ms', limit: thresholds.maxP99Ms, measured, passed: measured <= thresholds.maxP99Ms, ...labels });
    }
    if (thresholds.maxErrorRate !== undefined) {
      const measured = summary.sent === 0 ? 0 : summary.failed / summary.sent;
      checks.push({ name: 'max-error-rate', unit: 'fraction', limit: thresholds.maxErrorRate, measured, passed: measured <= thresholds.maxErrorRate, ...labels });
    }
    if (thresholds.minThroughputPerSec !== undefined) {
      const measured = summary.throughputPerSec;
      checks.push({ name: 'min-throughput', unit: 'tasks/s', limit: thresholds.minThroughputPerSec, measured, passed: measured >= thresholds.minThroughputPerSec, ...labels });
    }
    if (thresholds.maxImbalance !== undefined) {
      const measured = run.imbalance;
      checks.push({ name: 'max-imbalance', unit: 'ratio', limit: thresholds.maxImbalance, measured, passed: measured <= thresholds.maxImbalance, ...labels });
    }
  }
  return { passed: checks.every((check) => check.passed), checks };
}

/** "max-p99 (policy ll): measured 212.40 ms, limit 200 ms" ("(policy ll, client xds)" or "(policy lc, proxy nginx)" when compared) for a failed (or passed) check. */
export function describeCheck(check: ThresholdCheck): string {
  const show = (value: number): string => {
    switch (check.unit) {
      case 'ms':
        return `${round(value)} ms`;
      case 'fraction':
        return `${round(value * 100)}%`;
      case 'tasks/s':
        return `${round(value)} tasks/s`;
      case 'ratio':
        return round(value);
    }
  };
  const which = [
    check.policy === undefined ? '' : `policy ${check.policy}`,
    check.client === undefined ? '' : `client ${check.client}`,
    check.proxy === undefined ? '' : `proxy ${check.proxy}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${check.name}${which === '' ? '' : ` (${which})`}: measured ${show(check.measured)}, limit ${show(check.limit)}`;
}

const round = (value: number): string => String(Math.round(value * 1_000) / 1_000);

const usage = (flag: string, value: string, expected: string): LbxError => new LbxError('usage', `${flag} "${value}": expected ${expected}`);
