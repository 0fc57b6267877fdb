// Charts as inline SVG strings: grouped bars and lines that render without scripts, each tagged with data-chart and data-points.
import { escapeHtml } from './escape-html.js';

/** Tableau 10: distinct, colour-blind-friendly enough, and readable on white. */
export const SERIES_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

const WIDTH = 960;
const MARGIN = { top: 28, right: 16, bottom: 40, left: 64 } as const;
/** So a chart of one or two groups does not draw slabs. */
const MAX_BAR_WIDTH = 90;
const Y_TICKS = 5;
const X_TICKS = 6;
/** Labels above bars only while they fit. */
const MIN_BAR_WIDTH_FOR_LABEL = 22;

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
  readonly height?: number;
}

export interface LineSeries {
  readonly label: string;
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface LineChartSpec {
  readonly chart: string;
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly xUnit: string;
  readonly unit?: string;
  readonly height?: number;
  /** Extra data-* attributes, e.g. { policy: "rr" }. */
  readonly attributes?: Readonly<Record<string, string>>;
}

const colourOf = (index: number): string => SERIES_COLOURS[index % SERIES_COLOURS.length]!;

/** The smallest of 1, 2, 2.5, 5 times a power of ten at or above `value` (1 for nothing to show). */
export function niceCeiling(value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((candidate) => candidate * magnitude >= value * (1 - 1e-12)) ?? 10;
  return step * magnitude;
}

/** Figures as people read them: integers with separators, small values with up to two decimals. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return String(Math.round(value * 100) / 100);
}

const round1 = (value: number): string => String(Math.round(value * 10) / 10);

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

function yAxis(maxY: number, plotHeight: number, plotWidth: number, unit: string): string {
  const parts: string[] = [];
  for (let tick = 0; tick <= Y_TICKS; tick += 1) {
    const value = (maxY * tick) / Y_TICKS;
    const y = MARGIN.top + plotHeight - (plotHeight * tick) / Y_TICKS;
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${round1(y)}" y2="${round1(y)}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${round1(y + 4)}" text-anchor="end">${escapeHtml(formatFigure(value))}</text>`);
  }
  if (unit) parts.push(`<text class="unit" x="${MARGIN.left - 6}" y="${MARGIN.top - 14}" text-anchor="end">${escapeHtml(unit)}</text>`);
  return parts.join('');
}

/** Grouped vertical bars: one group per label, one bar per series. */
export function renderBarChart(spec: BarChartSpec): string {
  const height = spec.height ?? 260;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const values = spec.groups.flatMap((group) => group.values.filter((value) => Number.isFinite(value)));
  const maxY = niceCeiling(Math.max(0, ...values));
  const groupWidth = spec.groups.length === 0 ? plotWidth : plotWidth / spec.groups.length;
  const barWidth = Math.min(MAX_BAR_WIDTH, (groupWidth * 0.8) / Math.max(1, spec.series.length));
  const parts = [yAxis(maxY, plotHeight, plotWidth, spec.unit ?? '')];
  spec.groups.forEach((group, groupIndex) => {
    // Bars centred in their group.
    const groupX = MARGIN.left + groupIndex * groupWidth + (groupWidth - barWidth * spec.series.length) / 2;
    group.values.forEach((value, seriesIndex) => {
      if (!Number.isFinite(value)) return;
      const barHeight = (plotHeight * Math.max(0, value)) / maxY;
      const x = groupX + seriesIndex * barWidth;
      const y = MARGIN.top + plotHeight - barHeight;
      const tip = `${group.label} · ${spec.series[seriesIndex] ?? ''}: ${formatFigure(value)}${spec.unit ? ` ${spec.unit}` : ''}`;
      parts.push(
        `<rect class="bar" x="${round1(x)}" y="${round1(y)}" width="${round1(Math.max(1, barWidth - 2))}" height="${round1(barHeight)}" fill="${colourOf(seriesIndex)}"><title>${escapeHtml(tip)}</title></rect>`,
      );
      if (barWidth >= MIN_BAR_WIDTH_FOR_LABEL) {
        parts.push(`<text class="value" x="${round1(x + barWidth / 2 - 1)}" y="${round1(y - 3)}" text-anchor="middle">${escapeHtml(formatFigure(value))}</text>`);
      }
    });
    parts.push(
      `<text class="label" x="${round1(MARGIN.left + groupIndex * groupWidth + groupWidth / 2)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escapeHtml(group.label)}</text>`,
    );
  });
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`);
  const svg = `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg>`;
  return figure(spec.chart, spec.title, values.length, (spec.series.length > 1 ? legend(spec.series) : '') + svg);
}

/** Lines over a shared x axis (time since the first point), one per series. */
export function renderLineChart(spec: LineChartSpec): string {
  const height = spec.height ?? 240;
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const all = spec.series.flatMap((series) => series.points).filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
  const minX = Math.min(...all.map((point) => point.x));
  const spanX = Math.max(...all.map((point) => point.x)) - minX || 1;
  const maxY = niceCeiling(Math.max(0, ...all.map((point) => point.y)));
  const toX = (x: number): number => MARGIN.left + ((x - minX) / spanX) * plotWidth;
  const toY = (y: number): number => MARGIN.top + plotHeight - (plotHeight * Math.max(0, y)) / maxY;
  const parts = [yAxis(maxY, plotHeight, plotWidth, spec.unit ?? '')];
  for (let tick = 0; tick <= X_TICKS && all.length > 0; tick += 1) {
    const x = MARGIN.left + (plotWidth * tick) / X_TICKS;
    parts.push(`<text class="tick" x="${round1(x)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escapeHtml(`${formatFigure((spanX * tick) / X_TICKS)} ${spec.xUnit}`)}</text>`);
  }
  spec.series.forEach((series, index) => {
    const points = series.points.filter((point) => Number.isFinite(point.x) && Number.isFinite(point.y));
    if (points.length === 0) return;
    const coordinates = points.map((point) => `${round1(toX(point.x))},${round1(toY(point.y))}`).join(' ');
    parts.push(`<polyline class="line" points="${coordinates}" stroke="${colourOf(index)}"><title>${escapeHtml(series.label)}</title></polyline>`);
  });
  parts.push(`<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight}"/>`);
  const svg = `<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg>`;
  return figure(spec.chart, spec.title, all.length, legend(spec.series.map((series) => series.label)) + svg, spec.attributes);
}
