// The files `lbx sim` may read: a measured run for --service hist:<file>, a saved send run for --arrival replay:<file>.
import { readFileSync } from 'node:fs';

import { LbxError } from '../../core/lbx-error.js';
import { quantilesFromSummary } from '../../core/sim/service-model.js';

interface LatencyFigures {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999?: number;
  readonly max: number;
}

/** The request shape of a replayed run: how many tasks, of which SIMPLE, and at what concurrency. */
export interface ReplayedRun {
  readonly requests: number;
  readonly simpleShare: number;
  readonly concurrency: number;
}

function readJson(flag: string, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LbxError('usage', `${flag}: cannot read "${file}" (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // Reported below with what was expected.
  }
  throw new LbxError('usage', `${flag}: "${file}" is not a JSON object; expected an lbx.send/v1 or lbx.bench/v1 document (lbx send --json, lbx bench --json) or a saved run`);
}

const isLatency = (value: unknown): value is LatencyFigures =>
  typeof value === 'object' && value !== null && ['p50', 'p90', 'p99', 'max'].every((key) => typeof (value as Record<string, unknown>)[key] === 'number');

/**
 * Quantile points of the service time from a measured run: its latency percentiles (a send run, or the first
 * policy of a bench). Or {"quantiles": [[q, ms], …]} from 0 to 1, written by hand or by a script.
 */
export function readServiceQuantiles(file: string): Array<[number, number]> {
  const document = readJson('--service hist', file);
  const quantiles = document['quantiles'];
  if (Array.isArray(quantiles)) return checkedQuantiles(file, quantiles);
  const policies = document['policies'];
  const summary = (Array.isArray(policies) ? (policies[0] as Record<string, unknown> | undefined)?.['summary'] : document['summary']) as Record<string, unknown> | undefined;
  const latency = summary?.['latencyMs'];
  if (!isLatency(latency))
    throw new LbxError(
      'usage',
      `--service hist: "${file}" has no summary.latencyMs (p50, p90, p99, max); expected lbx send --json, lbx bench --json, or {"quantiles": [[q, ms], …]}`,
    );
  return quantilesFromSummary(latency);
}

function checkedQuantiles(file: string, points: unknown[]): Array<[number, number]> {
  const pairs = points.map((point) => (Array.isArray(point) && point.length === 2 ? [Number(point[0]), Number(point[1])] : [NaN, NaN]) as [number, number]);
  const sorted = pairs.every(
    ([q, ms], index) => q >= 0 && q <= 1 && ms >= 0 && (index === 0 || (q > (pairs[index - 1] as [number, number])[0] && ms >= (pairs[index - 1] as [number, number])[1])),
  );
  if (pairs.length < 2 || !sorted || pairs[0]?.[0] !== 0 || pairs[pairs.length - 1]?.[0] !== 1) {
    throw new LbxError('usage', `--service hist: "${file}" quantiles must be [q, ms] pairs from q = 0 to q = 1, both rising`);
  }
  return pairs;
}

/** A saved or printed send run: its task count, SIMPLE share and concurrency, replayed closed-loop. */
export function readReplayedRun(file: string): ReplayedRun {
  const document = readJson('--arrival replay', file);
  const request = document['request'] as Record<string, unknown> | undefined;
  const simple = Number(request?.['simple']);
  const heavy = Number(request?.['heavy']);
  const concurrency = Number(request?.['concurrency']);
  if (![simple, heavy, concurrency].every((value) => Number.isInteger(value) && value >= 0) || simple + heavy === 0 || concurrency < 1) {
    throw new LbxError(
      'usage',
      `--arrival replay: "${file}" has no request.simple, request.heavy and request.concurrency; expected a run from lbx send --json or the cluster's saved runs`,
    );
  }
  return { requests: simple + heavy, simpleShare: simple / (simple + heavy), concurrency };
}
