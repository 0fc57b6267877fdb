// Load-over-time charts for the report and bench pages: each backend's samples summarised per interval (utilisation, mean in flight, CPU, throughput), with gaps where it was down.
import { REPORT_HOLD_MS } from '../../core/scale/idle-cost.js';
import { summariseLoad, type LoadInterval, type LoadSample } from '../../core/stats/load-intervals.js';
import { renderLineChart } from './svg-charts.js';

export interface BackendSamples {
  readonly address: string;
  /** atMs counts from the chart's origin. */
  readonly samples: readonly LoadSample[];
}

/** What a load chart draws per interval. */
/** 'throughput' needs samples with served counts (LoadSample.served). */
export type LoadFigure = 'utilisation' | 'in-flight' | 'cpu' | 'throughput';

export interface LoadChartSpec {
  readonly figure: LoadFigure;
  /** The data-chart name. */
  readonly chart: string;
  /** Put before the chart's own title, e.g. the policy. */
  readonly titlePrefix?: string;
  readonly height?: number;
  readonly attributes?: Readonly<Record<string, string>>;
}

const FIGURES: Record<LoadFigure, { title: string; unit: string; integer: boolean; maxY?: number; pick: (interval: LoadInterval) => number | undefined }> = {
  utilisation: {
    title: 'Utilisation per backend: share of its load reports with a task in flight',
    unit: '% busy',
    integer: false,
    maxY: 100,
    pick: (interval) => (interval.utilisation === undefined ? undefined : interval.utilisation * 100),
  },
  'in-flight': { title: 'Mean in flight (queued + running) per backend', unit: 'tasks', integer: true, pick: (interval) => interval.meanInFlight },
  cpu: { title: 'Mean CPU per backend (100 = one core)', unit: '% CPU', integer: false, pick: (interval) => interval.meanCpuPercent },
  throughput: { title: 'Throughput per backend', unit: 'tasks/s', integer: false, pick: (interval) => interval.throughputPerSec },
};

/** "500 ms", "2 s", "5 min". */
export function formatIntervalLength(intervalMs: number): string {
  if (intervalMs < 1_000) return `${intervalMs} ms`;
  if (intervalMs < 60_000) return `${intervalMs / 1_000} s`;
  return `${intervalMs / 60_000} min`;
}

/**
 * One line chart per spec, all on the same grid of intervals. Backends report on change, so a report holds until the
 * next (REPORT_HOLD_MS at most): a gap only where a backend was silent for longer, i.e. down.
 */
export function renderLoadCharts(backends: readonly BackendSamples[], specs: readonly LoadChartSpec[]): { intervalMs: number; html: string[] } {
  const grid = summariseLoad(
    backends.map((backend) => backend.samples),
    REPORT_HOLD_MS,
  );
  const samples = backends.reduce((sum, backend) => sum + backend.samples.length, 0);
  const per = `per ${formatIntervalLength(grid.intervalMs)}`;
  const html = specs.map((spec) => {
    const figure = FIGURES[spec.figure];
    return renderLineChart({
      chart: spec.chart,
      title: `${spec.titlePrefix ? `${spec.titlePrefix}: ` : ''}${figure.title}, ${per}`,
      series: backends.map((backend, index) => ({
        label: backend.address,
        points: grid.intervals[index]!.map((interval) => ({ x: (interval.startMs + grid.intervalMs / 2) / 1_000, y: figure.pick(interval) })),
      })),
      xUnit: 's',
      unit: figure.unit,
      integer: figure.integer,
      ...(figure.maxY === undefined ? {} : { maxY: figure.maxY }),
      dataPoints: samples,
      ...(spec.height === undefined ? {} : { height: spec.height }),
      ...(spec.attributes === undefined ? {} : { attributes: spec.attributes }),
    });
  });
  return { intervalMs: grid.intervalMs, html };
}
