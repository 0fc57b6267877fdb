// A small streaming histogram for the simulator's per-backend latencies: log-spaced buckets, memory fixed per instance.
//
// The run-wide histogram is the HdrHistogram lbx uses everywhere (stats/latency-histogram.ts, ~150 KB each);
// ten thousand of those per simulated backend would take 1.5 GB, so each backend gets this one instead:
// 1,000 Uint32 buckets (4 KB) spaced by a factor of 1.02 from 1 µs, so a percentile is within 1% of the
// truth from 1 µs to about 6 minutes. Memory is linear in backends, never in requests.

/** Ratio between bucket bounds: a value is reported as its bucket's geometric middle, within 1%. */
const BUCKET_RATIO = 1.02;
const LOG_RATIO = Math.log(BUCKET_RATIO);
/** Lowest value told apart, in ms (1 µs); anything below counts in bucket 0. */
const LOWEST_MS = 0.001;
export const LOG_HISTOGRAM_BUCKETS = 1_000;

export class LogHistogram {
  readonly #counts = new Uint32Array(LOG_HISTOGRAM_BUCKETS);
  #count = 0;

  record(valueMs: number): void {
    const index = valueMs <= LOWEST_MS ? 0 : Math.min(LOG_HISTOGRAM_BUCKETS - 1, Math.floor(Math.log(valueMs / LOWEST_MS) / LOG_RATIO));
    this.#counts[index] = (this.#counts[index] as number) + 1;
    this.#count += 1;
  }

  get count(): number {
    return this.#count;
  }

  /** The value at or below which `percentile` (0..100) of the samples fall, within 1%; 0 when empty. */
  percentileMs(percentile: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((percentile / 100) * this.#count));
    let seen = 0;
    for (let index = 0; index < LOG_HISTOGRAM_BUCKETS; index += 1) {
      seen += this.#counts[index] as number;
      if (seen >= rank) return index === 0 ? LOWEST_MS : LOWEST_MS * Math.pow(BUCKET_RATIO, index + 0.5);
    }
    return LOWEST_MS * Math.pow(BUCKET_RATIO, LOG_HISTOGRAM_BUCKETS);
  }
}
