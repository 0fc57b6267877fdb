// Metrics that cost a plain add on the hot path: prom-client's own inc/observe hash their labels on every call (~0.5 µs each here).
//
// A CountCell is bumped with `count += 1` and its prom-client child catches up when scraped (its
// counter's `collect` flushes it); a
// BucketHistogram keeps its buckets in a typed array and renders them itself at scrape time.
import type { MetricValue, Registry } from 'prom-client';

/** One label set of a counter: a number on the hot path, flushed into the prom-client child on scrape. */
export class CountCell {
  count = 0;
  private flushed = 0;

  constructor(private readonly child: { inc(value: number): void }) {}

  flush(): void {
    const delta = this.count - this.flushed;
    if (delta > 0) this.child.inc(delta);
    this.flushed = this.count;
  }
}

/** One label set of a BucketHistogram. */
export class HistogramCell {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length);
  }

  observe(value: number): void {
    const bounds = this.upperBounds;
    for (let index = 0; index < bounds.length; index += 1) {
      if (value <= (bounds[index] as number)) {
        this.counts[index] = (this.counts[index] as number) + 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }
}

/** A Prometheus histogram (cumulative `le` buckets, _sum, _count) registered in `registry` as a custom metric. */
export class BucketHistogram {
  private readonly cells: HistogramCell[] = [];
  readonly upperBounds: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    buckets: readonly number[],
    registry: Registry,
  ) {
    this.upperBounds = [...buckets].sort((a, b) => a - b);
    registry.registerMetric({ name, help, type: 'histogram', get: async () => this.get() } as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The cell for one label set; make it once and keep it. */
  cell(labels: Readonly<Record<string, string>> = {}): HistogramCell {
    return this.adopt(new HistogramCell(labels, this.upperBounds));
  }

  /** A cell made before this histogram (with the same bounds, sorted), rendered with its own from now on. */
  adopt(cell: HistogramCell): HistogramCell {
    this.cells.push(cell);
    return cell;
  }

  get(): { name: string; help: string; type: 'histogram'; values: MetricValue<string>[]; aggregator: 'sum' } {
    const values: Array<MetricValue<string> & { metricName: string }> = [];
    for (const cell of this.cells) {
      let cumulative = 0;
      for (const [index, bound] of this.upperBounds.entries()) {
        cumulative += cell.counts[index] as number;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...cell.labels, le: bound }, value: cumulative });
      }
      values.push({ metricName: `${this.name}_bucket`, labels: { ...cell.labels, le: '+Inf' }, value: cell.count });
      values.push({ metricName: `${this.name}_sum`, labels: { ...cell.labels }, value: cell.sum });
      values.push({ metricName: `${this.name}_count`, labels: { ...cell.labels }, value: cell.count });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
