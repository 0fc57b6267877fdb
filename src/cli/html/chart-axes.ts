// Axes for the SVG charts: d3-scale's "nice" linear scales and ticks (0, 10 s, 20 s; whole task counts), drawn so no label leaves the picture.
import { scaleLinear, type ScaleLinear } from 'd3-scale';

import { escapeHtml } from './escape-html.js';

/** Every chart is this wide in SVG units; the page scales it to fit. */
export const CHART_WIDTH = 960;
export const MARGIN = { top: 28, right: 24, bottom: 40, left: 64 } as const;
/** Tick counts d3 aims for (it picks a nearby count that gives round steps). */
const Y_TICKS = 5;
const X_TICKS = 6;
/** .tick and .unit text are 11 px; at about 0.6 em per glyph a label is this wide per character, rounded up. */
export const TICK_CHAR_WIDTH = 7;
/** ",~f": thousands separators, no trailing zeros, as many decimals as the tick step needs. */
const TICK_SPECIFIER = ',~f';

export const round1 = (value: number): string => String(Math.round(value * 10) / 10);

export interface Axis {
  readonly scale: ScaleLinear<number, number>;
  readonly ticks: readonly number[];
  readonly format: (value: number) => string;
}

export interface ValueAxisOptions {
  /** Counts of whole things (tasks, requests): ticks only at integers. */
  readonly integer?: boolean;
  /** A fixed top, e.g. 100 for a percentage that is a share of a whole. */
  readonly max?: number;
}

/** The vertical axis from 0 to a nice value at or above `maxValue`, mapped onto [bottom, top]. */
export function valueAxis(maxValue: number, bottom: number, top: number, options: ValueAxisOptions = {}): Axis {
  const positive = Number.isFinite(maxValue) && maxValue > 0 ? maxValue : 1;
  // A count axis ends on a whole number (so its top tick is above every value) and spans at least one thing.
  const domainMax = options.max ?? (options.integer ? Math.max(Math.ceil(positive), 1) : positive);
  const scale = scaleLinear().domain([0, domainMax]).range([bottom, top]);
  if (options.max === undefined) scale.nice(Y_TICKS);
  const ticks = scale.ticks(Y_TICKS).filter((tick) => !options.integer || Number.isInteger(tick));
  return { scale, ticks, format: scale.tickFormat(Y_TICKS, TICK_SPECIFIER) };
}

/** The horizontal axis from 0 to a nice value at or above `maxValue`, mapped onto [left, right]. */
export function timeAxis(maxValue: number, left: number, right: number): Axis {
  const scale = scaleLinear()
    .domain([0, Number.isFinite(maxValue) && maxValue > 0 ? maxValue : 1])
    .range([left, right])
    .nice(X_TICKS);
  return { scale, ticks: scale.ticks(X_TICKS), format: scale.tickFormat(X_TICKS, TICK_SPECIFIER) };
}

/** Where to anchor a label centred on `x` so all of it stays inside 0…CHART_WIDTH (an estimate: SVG text is not measured on a server). */
export function fitLabel(x: number, text: string): { x: number; anchor: 'start' | 'middle' | 'end' } {
  const halfWidth = (text.length * TICK_CHAR_WIDTH) / 2;
  if (x + halfWidth > CHART_WIDTH - 1) return { x: Math.min(x + halfWidth, CHART_WIDTH - 1), anchor: 'end' };
  if (x - halfWidth < 1) return { x: Math.max(x - halfWidth, 1), anchor: 'start' };
  return { x, anchor: 'middle' };
}

/** Grid lines and labels of a value axis, and its unit above it. */
export function renderValueAxis(axis: Axis, plotWidth: number, unit: string): string {
  const parts = axis.ticks.map((tick) => {
    const y = round1(axis.scale(tick));
    return (
      `<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}"/>` +
      `<text class="tick" x="${MARGIN.left - 6}" y="${round1(axis.scale(tick) + 4)}" text-anchor="end">${escapeHtml(axis.format(tick))}</text>`
    );
  });
  // Left-aligned over the axis, so a long unit ("requests/s") is not cut at the picture's left edge.
  if (unit) parts.push(`<text class="unit" x="${MARGIN.left}" y="${MARGIN.top - 12}" text-anchor="start">${escapeHtml(unit)}</text>`);
  return parts.join('');
}

/** Labels of a time axis under the plot, each with its unit, the last one kept inside the picture. */
export function renderTimeAxis(axis: Axis, plotBottom: number, unit: string): string {
  return axis.ticks
    .map((tick) => {
      const text = `${axis.format(tick)} ${unit}`;
      const label = fitLabel(axis.scale(tick), text);
      return `<text class="tick" x="${round1(label.x)}" y="${plotBottom + 18}" text-anchor="${label.anchor}">${escapeHtml(text)}</text>`;
    })
    .join('');
}
