// The HTML renderers: every chart tagged with its data, all text escaped, nothing fetched, and small.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { escapeHtml } from '../../src/cli/html/escape-html.js';
import { niceCeiling, renderBarChart, renderLineChart } from '../../src/cli/html/svg-charts.js';
import { renderBenchHtml } from '../../src/cli/html/render-bench-html.js';
import { renderReportHtml } from '../../src/cli/html/render-report-html.js';
import { syntheticBenchResult, syntheticReportInput } from '../helpers/html-fixtures.js';

/** data-chart name → data-points, in document order. */
const chartsOf = (html: string): [string, number][] =>
  [...html.matchAll(/data-chart="([^"]*)" data-points="(\d+)"/g)].map((match) => [match[1]!, Number(match[2])]);

const HOSTILE = '<script>alert("x")</script>&\'';

const test = suite('html charts');

test('escapeHtml escapes the five markup characters', () => {
  assert.is(escapeHtml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&#39;');
});

test('niceCeiling rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
  assert.equal([0, 0.3, 1, 7, 12, 21, 240, 999].map(niceCeiling), [1, 0.5, 1, 10, 20, 25, 250, 1000]);
});

test('a bar chart counts its finite values and draws a rect for each', () => {
  const html = renderBarChart({ chart: 'c', title: 't', series: ['x', 'y'], groups: [{ label: 'g1', values: [3, 4] }, { label: 'g2', values: [5, NaN] }] });
  assert.equal(chartsOf(html), [['c', 3]]);
  assert.is(html.match(/<rect class="bar"/g)?.length, 3);
});

test('a line chart counts its points and draws one polyline per series', () => {
  const html = renderLineChart({ chart: 'l', title: 't', xUnit: 's', series: [{ label: 'a', points: [{ x: 0, y: 1 }, { x: 1, y: 2 }] }, { label: 'b', points: [{ x: 0.5, y: 3 }] }] });
  assert.equal(chartsOf(html), [['l', 3]]);
  assert.is(html.match(/<polyline/g)?.length, 2);
});

test('the bench page has every chart with data, escapes policy names and addresses, and fetches nothing', () => {
  const result = syntheticBenchResult();
  const hostile = { ...result, policies: [...result.policies, { ...result.policies[0]!, policy: HOSTILE }] };
  const html = renderBenchHtml(hostile);
  const charts = chartsOf(html);
  assert.equal([...new Set(charts.map(([name]) => name))], ['requests-per-backend', 'latency-percentiles', 'throughput', 'load-over-time']);
  assert.ok(charts.every(([, points]) => points > 0), JSON.stringify(charts));
  assert.is(charts.filter(([name]) => name === 'load-over-time').length, 4);
  assert.not.ok(html.includes('<script'), 'no script element');
  assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;'));
  assert.not.match(html, /(src|href)=|https?:\/\/|@import|url\(/);
  assert.ok(html.length < 200_000, `${html.length} bytes`);
});

test('the report page charts backends, runs and load history', () => {
  const html = renderReportHtml(syntheticReportInput());
  const charts = chartsOf(html);
  assert.equal(charts.map(([name]) => name), ['requests-per-backend', 'share-per-backend', 'latency-percentiles', 'throughput', 'load-in-flight', 'load-cpu']);
  // 3 backends × 3 series; 3 shares; 2 runs × 4 percentiles; 2 throughputs; 3 backends × 4 points, twice.
  assert.equal(charts.map(([, points]) => points), [9, 3, 8, 2, 12, 12]);
  assert.not.match(html, /<script|(src|href)=|https?:\/\//);
});

test('a report without runs or history says so instead of drawing empty charts', () => {
  const input = syntheticReportInput();
  const html = renderReportHtml({ ...input, report: { ...input.report, runs: [], lbReachable: false }, loadHistory: [] });
  assert.equal(chartsOf(html).map(([name]) => name), ['requests-per-backend', 'share-per-backend']);
  assert.ok(html.includes('No saved runs'));
  assert.ok(html.includes('The LB did not answer'));
});

test.run();
