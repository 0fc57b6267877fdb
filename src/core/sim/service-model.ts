// Service-time models for simulated backends: how long one task keeps a full-speed backend busy, in ms.
//
// A backend of speed s takes time/s (lbx's --speeds: a quarter-speed backend does each task's work four
// times over). Each model is parsed from the --service flag and validated here; `hist` comes with its
// quantile points already read from a file by the runtime (core reads no files).

import { LbxError } from '../lbx-error.js';

/** z of the 99th percentile of a standard normal: a log-normal's p99 = median · exp(σ·z). */
const Z_99 = 2.326_347_874;

export type ServiceSpec =
  | { readonly kind: 'exp'; readonly meanMs: number }
  | { readonly kind: 'lognormal'; readonly medianMs: number; readonly p99Ms: number }
  | { readonly kind: 'bimodal'; readonly fastMs: number; readonly slowMs: number; readonly slowShare: number }
  /** Inverse CDF through (quantile, ms) points, linear between them (from a measured run). */
  | { readonly kind: 'hist'; readonly file: string; readonly points: ReadonlyArray<readonly [number, number]> };

export const SERVICE_FORMS = 'exp[:meanMs], lognormal:medianMs,p99Ms, bimodal:fastMs,slowMs,slowShare or hist:<file>';

/** Draws one full-speed service time in ms with `random` (uniform in [0, 1)). */
export type ServiceSampler = (random: () => number) => number;

/** Parses --service; `hist:<file>` is returned with no points (the runtime reads the file and fills them). */
export function parseServiceSpec(text: string): ServiceSpec {
  const [kind = '', rest = ''] = splitOnce(text.trim(), ':');
  const numbers = (count: number): number[] => {
    const parts = rest.split(',').map((part) => Number(part.trim()));
    if (parts.length !== count || parts.some((value) => !Number.isFinite(value) || value <= 0)) {
      throw new LbxError('usage', `--service "${text}": expected ${count} positive number${count > 1 ? 's' : ''} after "${kind}:"; forms: ${SERVICE_FORMS}`);
    }
    return parts;
  };
  if (kind === 'exp') return { kind: 'exp', meanMs: rest === '' ? 1 : (numbers(1)[0] as number) };
  if (kind === 'lognormal') {
    const [medianMs = 0, p99Ms = 0] = numbers(2);
    if (p99Ms < medianMs) throw new LbxError('usage', `--service "${text}": the p99 (${p99Ms}) must be at least the median (${medianMs})`);
    return { kind: 'lognormal', medianMs, p99Ms };
  }
  if (kind === 'bimodal') {
    const [fastMs = 0, slowMs = 0, slowShare = 0] = numbers(3);
    if (slowShare >= 1) throw new LbxError('usage', `--service "${text}": the slow share (${slowShare}) must be below 1`);
    return { kind: 'bimodal', fastMs, slowMs, slowShare };
  }
  if (kind === 'hist' && rest.trim() !== '') return { kind: 'hist', file: rest.trim(), points: [] };
  throw new LbxError('usage', `--service "${text}": expected one of ${SERVICE_FORMS}`);
}

/** The mean of a model in ms (for --load: rate = λ · Σ speeds / mean). */
export function serviceMeanMs(spec: ServiceSpec): number {
  switch (spec.kind) {
    case 'exp':
      return spec.meanMs;
    case 'lognormal': {
      const sigma = Math.log(spec.p99Ms / spec.medianMs) / Z_99;
      return spec.medianMs * Math.exp((sigma * sigma) / 2);
    }
    case 'bimodal':
      return spec.fastMs * (1 - spec.slowShare) + spec.slowMs * spec.slowShare;
    case 'hist': {
      // Trapezoids under the inverse CDF.
      let mean = 0;
      for (let index = 1; index < spec.points.length; index += 1) {
        const [q0, v0] = spec.points[index - 1] as readonly [number, number];
        const [q1, v1] = spec.points[index] as readonly [number, number];
        mean += ((v0 + v1) / 2) * (q1 - q0);
      }
      return mean;
    }
  }
}

/** A sampler for the model; all of them draw exactly one or two random() values per task. */
export function serviceSampler(spec: ServiceSpec): ServiceSampler {
  switch (spec.kind) {
    case 'exp': {
      const meanMs = spec.meanMs;
      return (random) => -meanMs * Math.log(1 - random());
    }
    case 'lognormal': {
      const mu = Math.log(spec.medianMs);
      const sigma = Math.log(spec.p99Ms / spec.medianMs) / Z_99;
      // Box–Muller, one of the pair: two draws per task keep the sequence simple to reason about.
      return (random) => Math.exp(mu + sigma * Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    }
    case 'bimodal': {
      const { fastMs, slowMs, slowShare } = spec;
      return (random) => (random() < slowShare ? slowMs : fastMs);
    }
    case 'hist':
      return quantileSampler(spec.points);
  }
}

/** Inverse-CDF sampling through sorted (quantile, ms) points from 0 to 1. */
function quantileSampler(points: ReadonlyArray<readonly [number, number]>): ServiceSampler {
  const quantiles = Float64Array.from(points, (point) => point[0]);
  const values = Float64Array.from(points, (point) => point[1]);
  const last = points.length - 1;
  return (random) => {
    const u = random();
    let index = 1;
    while (index < last && (quantiles[index] as number) < u) index += 1;
    const q0 = quantiles[index - 1] as number;
    const q1 = quantiles[index] as number;
    const v0 = values[index - 1] as number;
    return q1 > q0 ? v0 + ((values[index] as number) - v0) * ((u - q0) / (q1 - q0)) : v0;
  };
}

/**
 * Quantile points from a run's latency summary (p50, p90, p99, p999, max): the measured histogram as lbx keeps
 * it. Below the median nothing is kept, so the lower tail mirrors the p50–p90 gap (at least half the median).
 */
export function quantilesFromSummary(latencyMs: { p50: number; p90: number; p99: number; p999?: number; max: number }): Array<[number, number]> {
  const { p50, p90, p99, max } = latencyMs;
  const p999 = latencyMs.p999 ?? p99;
  const low = Math.max(p50 / 2, 2 * p50 - p90);
  const points: Array<[number, number]> = [
    [0, low],
    [0.5, p50],
    [0.9, p90],
    [0.99, p99],
    [0.999, p999],
    [1, max],
  ];
  // Percentiles from a histogram never go down, but guard a hand-written file.
  for (let index = 1; index < points.length; index += 1)
    (points[index] as [number, number])[1] = Math.max((points[index] as [number, number])[1], (points[index - 1] as [number, number])[1]);
  if (!(p50 > 0)) throw new LbxError('usage', `the measured latencies have a median of ${p50} ms: expected a run with ended requests`);
  return points;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text.toLowerCase(), ''] : [text.slice(0, at).toLowerCase(), text.slice(at + 1)];
}
