// Latency percentiles over microsecond samples: a thin wrapper over HdrHistogram (hdr-histogram-js).

import { build, type Histogram } from 'hdr-histogram-js';

/** 120 s: anything slower is recorded as 120 s rather than lost. */
export const HIGHEST_TRACKABLE_MICROS = 120_000_000;

export interface LatencySummaryMs {
  p50: number;
  p90: number;
  p99: number;
  /** 99.9th percentile: what a hang or a rare slow call moves (absent in runs saved before it was kept). */
  p999?: number;
  max: number;
  mean: number;
}

// 3 significant digits: exact up to 2 ms, within 0.1% above, which is finer than any figure lbx prints.
function createHistogram(): Histogram {
  return build({
    bitBucketSize: 64,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_TRACKABLE_MICROS,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false, // the JS build needs no async init and no destroy()
  });
}

const MICROS_PER_MS = 1_000;
const toRoundedMs = (micros: number): number => Math.round(micros) / MICROS_PER_MS; // µs are integers, so 3 decimals of ms

export class LatencyHistogram {
  readonly #histogram: Histogram = createHistogram();

  /** Records one latency; values outside 0..120 s are clamped so a sample is never dropped. */
  recordMicros(micros: number): void {
    if (Number.isNaN(micros)) throw new RangeError('latency must be a number of microseconds, got NaN');
    this.#histogram.recordValue(Math.min(HIGHEST_TRACKABLE_MICROS, Math.max(0, Math.round(micros))));
  }

  get count(): number {
    return this.#histogram.totalCount;
  }

  /** The latency at or below which p percent (0..100) of samples fall; 0 when empty. */
  percentileMs(percentile: number): number {
    if (!(percentile >= 0 && percentile <= 100)) throw new RangeError(`percentile must be within 0..100, got ${percentile}`);
    return this.count === 0 ? 0 : this.#histogram.getValueAtPercentile(percentile) / MICROS_PER_MS;
  }

  get maxMs(): number {
    return this.count === 0 ? 0 : this.#histogram.maxValue / MICROS_PER_MS;
  }

  get meanMs(): number {
    return this.count === 0 ? 0 : this.#histogram.mean / MICROS_PER_MS;
  }

  /** Headline figures in ms, rounded to 3 decimals (whole µs); all 0 when empty. */
  summaryMs(): LatencySummaryMs {
    if (this.count === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    const histogram = this.#histogram;
    return {
      p50: toRoundedMs(histogram.getValueAtPercentile(50)),
      p90: toRoundedMs(histogram.getValueAtPercentile(90)),
      p99: toRoundedMs(histogram.getValueAtPercentile(99)),
      p999: toRoundedMs(histogram.getValueAtPercentile(99.9)),
      max: toRoundedMs(histogram.maxValue),
      mean: toRoundedMs(histogram.mean),
    };
  }

  /** Adds every sample of `other` to this histogram (other is unchanged). */
  add(other: LatencyHistogram): void {
    this.#histogram.add(other.#histogram);
  }
}
