// LatencyHistogram: percentiles in ms over microsecond samples.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HIGHEST_TRACKABLE_MICROS, LatencyHistogram } from '../../src/core/stats/latency-histogram.js';

function oneToThousandMicros(): LatencyHistogram {
  const histogram = new LatencyHistogram();
  for (let micros = 1; micros <= 1_000; micros += 1) histogram.recordMicros(micros);
  return histogram;
}

const test = suite('LatencyHistogram');

test('empty: count 0 and every figure 0', () => {
  const histogram = new LatencyHistogram();
  assert.is(histogram.count, 0);
  assert.is(histogram.percentileMs(99), 0);
  assert.is(histogram.maxMs, 0);
  assert.is(histogram.meanMs, 0);
  assert.equal(histogram.summaryMs(), { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 });
});

test('1..1000 µs: exact percentiles, max and mean in ms', () => {
  const histogram = oneToThousandMicros();
  assert.is(histogram.count, 1_000);
  assert.is(histogram.percentileMs(50), 0.5);
  assert.is(histogram.percentileMs(90), 0.9);
  assert.is(histogram.percentileMs(100), 1);
  assert.is(histogram.maxMs, 1);
  assert.is(histogram.meanMs, 0.5005);
  assert.equal(histogram.summaryMs(), { p50: 0.5, p90: 0.9, p99: 0.99, p999: 0.999, max: 1, mean: 0.501 });
});

test('large values keep three significant digits', () => {
  const histogram = new LatencyHistogram();
  histogram.recordMicros(123_456);
  const p50 = histogram.percentileMs(50);
  assert.ok(Math.abs(p50 - 123.456) / 123.456 < 0.001, `p50 ${p50}`);
});

test('values outside the trackable range are clamped, not dropped', () => {
  const histogram = new LatencyHistogram();
  histogram.recordMicros(-5);
  histogram.recordMicros(HIGHEST_TRACKABLE_MICROS * 10);
  histogram.recordMicros(Infinity);
  assert.is(histogram.count, 3);
  assert.is(histogram.percentileMs(0), 0);
  assert.ok(Math.abs(histogram.maxMs - 120_000) / 120_000 < 0.001, `max ${histogram.maxMs}`);
});

test('NaN and out-of-range percentiles are rejected', () => {
  const histogram = oneToThousandMicros();
  assert.throws(() => histogram.recordMicros(Number.NaN), /NaN/);
  assert.throws(() => histogram.percentileMs(101), /0\.\.100/);
  assert.throws(() => histogram.percentileMs(Number.NaN), /0\.\.100/);
  assert.is(histogram.count, 1_000);
});

test('add() merges another histogram and leaves it unchanged', () => {
  const low = new LatencyHistogram();
  const high = new LatencyHistogram();
  for (let micros = 1; micros <= 500; micros += 1) low.recordMicros(micros);
  for (let micros = 501; micros <= 1_000; micros += 1) high.recordMicros(micros);
  low.add(high);
  assert.is(low.count, 1_000);
  assert.equal(low.summaryMs(), oneToThousandMicros().summaryMs());
  assert.is(high.count, 500);
});

test.run();
