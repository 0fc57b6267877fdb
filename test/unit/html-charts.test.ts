// The HTML renderers: every chart tagged with its data, all text escaped, nothing fetched, and small.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { escapeHtml } from '../../src/cli/html/escape-html.js';
import { CHART_WIDTH } from '../../src/cli/html/chart-axes.js';
import { renderLoadCharts } from '../../src/cli/html/load-charts.js';
import { renderBarChart, renderLineChart } from '../../src/cli/html/svg-charts.js';
import { renderBenchHtml } from '../../src/cli/html/render-bench-html.js';
import { renderReportHtml } from '../../src/cli/html/render-report-html.js';
import { syntheticBenchResult, syntheticReportInput } from '../helpers/html-fixtures.js';

/** data-chart name → data-points, in document order. */
const chartsOf = (html: string): [string, number][] => [...html.matchAll(/data-chart="([^"]*)" data-points="(\d+)"/g)].map((match) => [match[1]!, Number(match[2])]);

/** Every axis label: its text, x and anchor. */
const ticksOf = (html: string): { text: string; x: number; anchor: string }[] =>
  [...html.matchAll(/<text class="tick" x="([\d.-]+)" y="[\d.-]+" text-anchor="(\w+)">([^<]*)<\/text>/g)].map((match) => ({
    x: Number(match[1]),
    anchor: match[2]!,
    text: match[3]!,
  }));

/** A label's horizontal extent, at a generous 7 px per character of 11 px text. */
function extentOf(tick: { text: string; x: number; anchor: string }): [number, number] {
  const width = tick.text.length * 7;
  if (tick.anchor === 'end') return [tick.x - width, tick.x];
  if (tick.anchor === 'start') return [tick.x, tick.x + width];
  return [tick.x - width / 2, tick.x + width / 2];
}

/** The figure of chart `name` (the first one). */
const figureOf = (html: string, name: string): string => html.split('<figure').find((part) => part.includes(`data-chart="${name}"`)) ?? '';

const HOSTILE = '<script>alert("x")</script>&\'';

const test = suite('html charts');

test('escapeHtml escapes the five markup characters', () => {
  assert.is(escapeHtml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
});

test('axis ticks are nice numbers: time in steps of 1, 2 or 5 × 10^k, task counts whole', () => {
  const html = renderLineChart({
    chart: 'l',
    title: 't',
    xUnit: 's',
    unit: 'tasks',
    integer: true,
    series: [
      {
        label: 'a',
        points: [
          { x: 0, y: 0 },
          { x: 11.3, y: 2 },
          { x: 23.7, y: 1 },
        ],
      },
    ],
  });
  const ticks = ticksOf(html);
  const seconds = ticks.filter((tick) => tick.text.endsWith(' s')).map((tick) => Number(tick.text.slice(0, -2)));
  const counts = ticks.filter((tick) => !tick.text.endsWith(' s')).map((tick) => Number(tick.text));
  assert.equal(seconds, [0, 5, 10, 15, 20, 25]);
  assert.equal(counts, [0, 1, 2]);
  // Thousands of requests: round steps with separators, never 0.4-style fractions of a request.
  const bars = ticksOf(
    renderBarChart({
      chart: 'b',
      title: 't',
      series: ['x'],
      integer: true,
      groups: [
        { label: 'g', values: [3] },
        { label: 'h', values: [1_234] },
      ],
    }),
  );
  assert.equal(
    bars.map((tick) => tick.text),
    ['0', '200', '400', '600', '800', '1,000', '1,200', '1,400'],
  );
  // A mean of 1.5 tasks: the axis goes on to 2, so the top of the line is under a labelled tick.
  const mean = ticksOf(
    renderLineChart({
      chart: 'm',
      title: 't',
      xUnit: 's',
      integer: true,
      series: [
        {
          label: 'a',
          points: [
            { x: 0, y: 0.5 },
            { x: 1, y: 1.5 },
          ],
        },
      ],
    }),
  );
  assert.equal(
    mean.filter((tick) => !tick.text.endsWith(' s')).map((tick) => tick.text),
    ['0', '1', '2'],
  );
});

test('no tick label reaches past the edges of the picture, the last one included', () => {
  const spans = [1.5, 23.7, 599.9, 1_234.5];
  for (const span of spans) {
    const html = renderLineChart({
      chart: 'l',
      title: 't',
      xUnit: 's',
      series: [
        {
          label: 'a',
          points: [
            { x: 0, y: 1 },
            { x: span, y: 2 },
          ],
        },
      ],
    });
    for (const tick of ticksOf(html)) {
      const [left, right] = extentOf(tick);
      assert.ok(left >= 0 && right <= CHART_WIDTH, `span ${span}: "${tick.text}" spans ${left.toFixed(1)}…${right.toFixed(1)}, outside 0…${CHART_WIDTH}`);
    }
  }
});

test('a line breaks where a series has no value: a second move (M) in its path, and a lone point still shows', () => {
  const points = [0, 1, 2, 3, 4, 5, 6].map((x) => ({ x, y: x === 2 || x === 3 || x === 5 ? undefined : 1 }));
  const html = renderLineChart({ chart: 'l', title: 't', xUnit: 's', series: [{ label: 'a', points }] });
  const d = /<path class="line" d="([^"]*)"/.exec(html)?.[1] ?? '';
  assert.is(d.match(/M/g)?.length, 3, d);
  assert.is(html.match(/<circle class="dot"/g)?.length, 2, 'the points at 4 and 6, alone between gaps, are dots');
  assert.equal(chartsOf(html), [['l', 4]]);
});

test('a bar chart counts its finite values and draws a rect for each', () => {
  const html = renderBarChart({
    chart: 'c',
    title: 't',
    series: ['x', 'y'],
    groups: [
      { label: 'g1', values: [3, 4] },
      { label: 'g2', values: [5, NaN] },
    ],
  });
  assert.equal(chartsOf(html), [['c', 3]]);
  assert.is(html.match(/<rect class="bar"/g)?.length, 3);
});

test('a line chart counts its points and draws one path per series', () => {
  const html = renderLineChart({
    chart: 'l',
    title: 't',
    xUnit: 's',
    series: [
      {
        label: 'a',
        points: [
          { x: 0, y: 1 },
          { x: 1, y: 2 },
        ],
      },
      { label: 'b', points: [{ x: 0.5, y: 3 }] },
    ],
  });
  assert.equal(chartsOf(html), [['l', 3]]);
  assert.is(html.match(/<path class="line"/g)?.length, 2);
});

test('the bench page has every chart with data, escapes policy names and addresses, and fetches nothing', () => {
  const result = syntheticBenchResult();
  const hostile = { ...result, policies: [...result.policies, { ...result.policies[0]!, policy: HOSTILE }] };
  const html = renderBenchHtml(hostile);
  const charts = chartsOf(html);
  assert.equal([...new Set(charts.map(([name]) => name))], ['requests-per-backend', 'latency-percentiles', 'throughput', 'load-over-time']);
  assert.ok(
    charts.every(([, points]) => points > 0),
    JSON.stringify(charts),
  );
  assert.is(charts.filter(([name]) => name === 'load-over-time').length, 4);
  assert.not.ok(html.includes('<script'), 'no script element');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'));
  assert.not.match(html, /(src|href)=|https?:\/\/|@import|url\(/);
  assert.ok(html.length < 200_000, `${html.length} bytes`);
});

test('the report page charts backends, runs and load history', () => {
  const html = renderReportHtml(syntheticReportInput());
  const charts = chartsOf(html);
  assert.equal(
    charts.map(([name]) => name),
    ['requests-per-backend', 'share-per-backend', 'latency-percentiles', 'throughput', 'load-utilisation', 'load-in-flight', 'load-cpu'],
  );
  // 3 backends × 3 series; 3 shares; 2 runs × 4 percentiles; 2 throughputs; 3 backends × 4 load reports behind each load chart.
  assert.equal(
    charts.map(([, points]) => points),
    [9, 3, 8, 2, 12, 12, 12],
  );
  assert.not.match(html, /<script|(src|href)=|https?:\/\//);
});

test('the report draws load per interval: utilisation between 0 and 100 %, and a break where a backend sent no report', () => {
  const input = syntheticReportInput();
  const start = input.loadHistory[0]!.points[0]!.atUnixMs;
  // Backend 2 reports every 500 ms for 20 s but is dead from 4 s to 14 s, longer than a report stands (REPORT_HOLD_MS:
  // a shorter silence is an idle backend's, bridged); it is busy on every other report.
  const points = Array.from({ length: 40 }, (_, step) => ({ atUnixMs: start + step * 500, inFlight: step % 2, queueDepth: 0, cpuPercent: 50 })).filter(
    (point) => point.atUnixMs - start < 4_000 || point.atUnixMs - start >= 14_000,
  );
  const steady = Array.from({ length: 40 }, (_, step) => ({ atUnixMs: start + step * 500, inFlight: 1, queueDepth: 0, cpuPercent: 90 }));
  const html = renderReportHtml({
    ...input,
    loadHistory: [
      { address: '127.0.0.1:29601', points: steady },
      { address: '127.0.0.1:29602', points },
    ],
  });
  const utilisation = figureOf(html, 'load-utilisation');
  const paths = [...utilisation.matchAll(/<path class="line" d="([^"]*)"/g)].map((match) => match[1]!);
  assert.is(paths.length, 2);
  assert.is(paths[0]!.match(/M/g)?.length, 1, `the steady backend's line is whole: ${paths[0]}`);
  assert.is(paths[1]!.match(/M/g)?.length, 2, `the dead stretch breaks the line: ${paths[1]}`);
  // Busy on half its reports: 50 % in every interval, not a line jumping between 0 and 1 task.
  const ys = (d: string): number[] => [...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((match) => Number(match[1]));
  assert.is(new Set(ys(paths[1]!)).size, 1, `one level: ${paths[1]}`);
  assert.ok(
    ticksOf(utilisation).some((tick) => tick.text === '100'),
    'utilisation axis ends at 100 %',
  );
  assert.match(html, /per 2 s/);
});

test('a throughput chart per interval where samples carry served counts', () => {
  const samples = Array.from({ length: 20 }, (_, step) => ({ atMs: step * 500, inFlight: 1, cpuPercent: 10, served: step * 25 }));
  const { intervalMs, html } = renderLoadCharts([{ address: 'a:1', samples }], [{ figure: 'throughput', chart: 'load-throughput' }]);
  assert.is(intervalMs, 2_000);
  const d = /<path class="line" d="([^"]*)"/.exec(html[0]!)?.[1] ?? '';
  // 25 tasks per 500 ms: 50 tasks/s in every interval, one flat line.
  assert.is(new Set([...d.matchAll(/[ML][\d.]+,([\d.]+)/g)].map((match) => match[1])).size, 1, d);
  assert.match(html[0]!, 'tasks/s');
  assert.ok(
    ticksOf(html[0]!).some((tick) => tick.text === '50'),
    'the axis reaches 50 tasks/s',
  );
});

test('a report without runs or history says so instead of drawing empty charts', () => {
  const input = syntheticReportInput();
  const html = renderReportHtml({ ...input, report: { ...input.report, runs: [], lbReachable: false }, loadHistory: [] });
  assert.equal(
    chartsOf(html).map(([name]) => name),
    ['requests-per-backend', 'share-per-backend'],
  );
  assert.ok(html.includes('No saved runs'));
  assert.ok(html.includes('The LB did not answer'));
});

test.run();
