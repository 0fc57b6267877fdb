// Charts as inline SVG strings: grouped bars and lines (d3-shape paths, broken where data is missing) that render without scripts, each tagged with data-chart and data-points.
import { line } from 'd3-shape';

import { CHART_WIDTH, MARGIN, renderTimeAxis, renderValueAxis, round1, timeAxis, valueAxis } from './chart-axes.js';
import { escapeHtml } from './escape-html.js';

/** Tableau 10: distinct, colour-blind-friendly enough, and readable on white. */
export const SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** So a chart of one or two groups does not draw slabs. */
const MAX_BAR_WIDTH = 90;
/** Labels above bars only while they fit. */
const MIN_BAR_WIDTH_FOR_LABEL = 22;
/** A point with no neighbour on its line (between two gaps) is drawn as a dot this big, or it would not show. */
const LONE_POINT_RADIUS = 2.5;

export interface BarGroup {
  readonly label: string;
  /** One value per series, in the order of `series`; NaN for none. */
  readonly values: readonly number[];
}

export interface BarChartSpec {
  /** The data-chart name tests look for, e.g. "requests-per-backend". */
  readonly chart: string;
  readonly title: string;
  readonly series: readonly string[];
  readonly groups: readonly BarGroup[];
  readonly unit?: string;
  /** Whole counts (requests): ticks only at integers. */
  readonly integer?: boolean;
  readonly height?: number;
}

export interface LinePoint {
  readonly x: number;
  /** undefined (or NaN) where there is no value: the line breaks there. */
  readonly y: number | undefined;
}

export interface LineSeries {
  readonly label: string;
  readonly points: readonly LinePoint[];
}

export interface LineChartSpec {
  readonly chart: string;
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly xUnit: string;
  readonly unit?: string;
  /** Whole counts (tasks): ticks only at integers. */
  readonly integer?: boolean;
  /** A fixed top for the value axis, e.g. 100 for a percentage of a whole. */
  readonly maxY?: number;
  /** The data-points figure when the lines summarise more values than they draw (e.g. load samples per interval). */
  readonly dataPoints?: number;
  readonly height?: number;
  /** Extra data-* attributes, e.g. { policy: "rr" }. */
  readonly attributes?: Readonly<Record<string, string>>;
}

const colourOf = (index: number): string => SERIES_COLOURS[index % SERIES_COLOURS.length]!;

/** Figures as people read them: integers with separators, small values with up to two decimals. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Math.round(value * 100) / 100);
}

function legend(labels: readonly string[]): string {
  const items = labels.map((label, index) => `<li><span class="swatch" style="background:${colourOf(index)}"></span>${escapeHtml(label)}</li>`);
  return `<ul class="legend">${items.join('')}</ul>`;
}

function figure(chart: string, title: string, points: number, body: string, attributes: Readonly<Record<string, string>> = {}): string {
  const extra = Object.entries(attributes)
    .map(([name, value]) => ` data-${escapeHtml(name)}="${escapeHtml(value)}"`)
    .join('');
  return `<figure class="chart" data-chart="${escapeHtml(chart)}" data-points="${points}"${extra}><figcaption>${escapeHtml(title)}</figcaption>${body}</figure>`;
}

/** Grouped vertical bars: one group per label, one bar per series. */
export function renderBarChart(spec: BarChartSpec): string {
  const height = spec.height ?? 260;
  const plotWidth = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const values = spec.groups.flatMap((group) => group.values.filter((value) => Number.isFinite(value)));
  const y = valueAxis(Math.max(0, ...values), MARGIN.top + plotHeight, MARGIN.top, { integer: spec.integer ?? false });
  const groupWidth = spec.groups.length === 0 ? plotWidth : plotWidth / spec.groups.length;
  const barWidth = Math.min(MAX_BAR_WIDTH, (groupWidth * 0.8) / Math.max(1, spec.series.length));
  const parts = [renderValueAxis(y, plotWidth, spec.unit ?? '')];
  spec.groups.forEach((group, groupIndex) => {
    // Bars centred in their group.
    const groupX = MARGIN.left + groupIndex * groupWidth + (groupWidth - barWidth * spec.series.length) / 2;
    group.values.forEach((value, seriesIndex) => {
      if (!Number.isFinite(value)) return;
      const top = y.scale(Math.max(0, value));
      const barHeight = MARGIN.top + plotHeight - top;
      const x = groupX + seriesIndex * barWidth;
      const tip = `${group.label} · ${spec.series[seriesIndex] ?? ''}: ${formatFigure(value)}${spec.unit ? ` ${spec.unit}` : ''}`;
      parts.push(
        `<rect class="bar" x="${round1(x)}" y="${round1(top)}" width="${round1(Math.max(1, barWidth - 2))}" height="${round1(barHeight)}" fill="${colourOf(seriesIndex)}"><title>${escapeHtml(tip)}</title></rect>`,
      );
      if (barWidth >= MIN_BAR_WIDTH_FOR_LABEL) {
        parts.push(`<text class="value" x="${round1(x + barWidth / 2 - 1)}" y="${round1(top - 3)}" text-anchor="middle">${escapeHtml(formatFigure(value))}</text>`);
      }
    });
    parts.push(
      `<text class="label" x="${round1(MARGIN.left + groupIndex * groupWidth + groupWidth / 2)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escapeHtml(group.label)}</text>`,
    );
  });
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`);
  const svg = `<svg viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg>`;
  return figure(spec.chart, spec.title, values.length, (spec.series.length > 1 ? legend(spec.series) : '') + svg);
}

const hasValue = (point: LinePoint): point is { x: number; y: number } => Number.isFinite(point.x) && point.y !== undefined && Number.isFinite(point.y);

/** Lines over a shared x axis (time from 0), one per series, each broken where its points have no value. */
export function renderLineChart(spec: LineChartSpec): string {
  const height = spec.height ?? 240;
  const plotWidth = CHART_WIDTH - MARGIN.left - MARGIN.right;
  const plotBottom = height - MARGIN.bottom;
  const drawn = spec.series.flatMap((series) => series.points.filter(hasValue));
  const maxOf = (pick: (point: { x: number; y: number }) => number): number => drawn.reduce((max, point) => Math.max(max, pick(point)), 0);
  const x = timeAxis(
    maxOf((point) => point.x),
    MARGIN.left,
    MARGIN.left + plotWidth,
  );
  const y = valueAxis(
    maxOf((point) => point.y),
    plotBottom,
    MARGIN.top,
    { integer: spec.integer ?? false, ...(spec.maxY === undefined ? {} : { max: spec.maxY }) },
  );
  const path = line<LinePoint>()
    .defined(hasValue)
    .x((point) => x.scale(point.x))
    .y((point) => y.scale(Math.max(0, point.y ?? 0)))
    .digits(1);
  const parts = [renderValueAxis(y, plotWidth, spec.unit ?? '')];
  if (drawn.length > 0) parts.push(renderTimeAxis(x, plotBottom, spec.xUnit));
  spec.series.forEach((series, index) => {
    if (!series.points.some(hasValue)) return;
    const title = `<title>${escapeHtml(series.label)}</title>`;
    parts.push(`<path class="line" d="${path(series.points) ?? ''}" stroke="${colourOf(index)}">${title}</path>`);
    series.points.forEach((point, at) => {
      const isLone = hasValue(point) && !(at > 0 && hasValue(series.points[at - 1]!)) && !(at + 1 < series.points.length && hasValue(series.points[at + 1]!));
      if (isLone)
        parts.push(
          `<circle class="dot" cx="${round1(x.scale(point.x))}" cy="${round1(y.scale(Math.max(0, point.y!)))}" r="${LONE_POINT_RADIUS}" fill="${colourOf(index)}">${title}</circle>`,
        );
    });
  });
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${plotBottom}" y2="${plotBottom}"/>`);
  const svg = `<svg viewBox="0 0 ${CHART_WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg>`;
  return figure(spec.chart, spec.title, spec.dataPoints ?? drawn.length, legend(spec.series.map((series) => series.label)) + svg, spec.attributes);
}
