// Load over time per interval: utilisation, mean in flight and CPU from instantaneous samples, nice interval lengths, and gaps where none came.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { chooseIntervalMs, intervalCount, summariseIntervals, summariseLoad, typicalSampleIntervalMs } from '../../src/core/stats/load-intervals.js';

const sample = (atMs: number, inFlight: number, cpuPercent = 0) => ({ atMs, inFlight, cpuPercent });

const test = suite('load intervals');

test('utilisation is the share of samples with a task in flight; mean in flight and CPU are means', () => {
  const samples = [sample(0, 0, 10), sample(500, 1, 30), sample(1_000, 2, 50), sample(1_500, 0, 70), sample(2_000, 1, 100)];
  const [first, second] = summariseIntervals(samples, 2_000, 2);
  assert.equal(first, { startMs: 0, samples: 4, utilisation: 0.5, meanInFlight: 0.75, meanCpuPercent: 40, throughputPerSec: undefined });
  assert.equal(second, { startMs: 2_000, samples: 1, utilisation: 1, meanInFlight: 1, meanCpuPercent: 100, throughputPerSec: undefined });
});

test('throughput per interval from cumulative served counts; a restart (counter fall) and a long silence count nothing', () => {
  const served = (atMs: number, count: number) => ({ atMs, inFlight: 1, cpuPercent: 0, served: count });
  // 10 tasks per 500 ms, then silent from 2 s to 4.5 s, then a restart whose counter starts again at 0.
  const samples = [served(0, 100), served(500, 110), served(1_000, 120), served(1_500, 130), served(4_500, 200), served(5_000, 0), served(5_500, 5)];
  const intervals = summariseIntervals(samples, 1_000, 6);
  assert.equal(
    intervals.map((interval) => interval.throughputPerSec),
    [20, 20, undefined, undefined, undefined, 10],
  );
});

test('an interval without a sample is a gap (undefined), not zero load', () => {
  const samples = [sample(0, 1), sample(500, 1), sample(3_000, 0)];
  const intervals = summariseIntervals(samples, 1_000, 4);
  assert.equal(
    intervals.map((interval) => interval.utilisation),
    [1, undefined, undefined, 0],
  );
  assert.equal(
    intervals.map((interval) => interval.samples),
    [2, 0, 0, 1],
  );
});

test('with a hold time, a report stands across a shorter silence (on-change reports); a longer one stays a gap', () => {
  // Busy until 1 s, then idle reports every 5 s (the heartbeat); then silent for 9 s (down), then back.
  const samples = [sample(0, 2, 40), sample(500, 2, 40), sample(1_000, 0, 5), sample(6_000, 0, 5), sample(15_000, 1, 20)];
  const intervals = summariseIntervals(samples, 1_000, 18, 7_500);
  assert.equal(
    intervals.map((interval) => interval.meanInFlight),
    [2, 0, 0, 0, 0, 0, 0, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 1, 1, 1],
    'held from 1 s to 6 s; 6 s to 15 s is longer than the hold: a gap; the newest report holds to the end of the grid',
  );
  assert.equal(
    intervals.slice(0, 3).map((interval) => [interval.samples, interval.held === true]),
    [
      [2, false],
      [1, false],
      [0, true],
    ],
  );
  assert.is(intervals[2]?.meanCpuPercent, 5, 'the held figures are the last report');
  assert.is(intervals[2]?.utilisation, 0);
  assert.equal(
    summariseIntervals([sample(0, 1)], 1_000, 10, 2_500).map((interval) => interval.meanInFlight),
    [1, 1, 1, undefined, undefined, undefined, undefined, undefined, undefined, undefined],
    'a newest report older than the hold no longer stands',
  );
  assert.is(summariseIntervals(samples, 1_000, 18)[2]?.meanInFlight, undefined, 'without a hold time a silent interval is a gap');
});

test('samples outside the grid and non-finite loads are ignored', () => {
  const intervals = summariseIntervals([sample(-1, 1), sample(100, Number.NaN), sample(5_000, 1)], 1_000, 2);
  assert.equal(
    intervals.map((interval) => interval.samples),
    [0, 0],
  );
});

test('the typical sample interval is the median step over every series', () => {
  assert.is(
    typicalSampleIntervalMs([
      [sample(0, 0), sample(500, 0), sample(1_000, 0)],
      [sample(0, 0), sample(480, 0), sample(5_000, 0)],
    ]),
    500,
  );
  assert.is(typicalSampleIntervalMs([[sample(0, 0)], []]), 0);
});

test('interval lengths: nice, about four samples each, at most 60 intervals, about 8 on a short run', () => {
  // 500 ms reports: 2 s intervals over a minute, 10 s over ten minutes; a 1.5 s run gets 1 s intervals of 2 samples.
  assert.is(chooseIntervalMs(60_000, 500), 2_000);
  assert.is(chooseIntervalMs(600_000, 500), 10_000);
  assert.is(chooseIntervalMs(1_500, 500), 1_000);
  // The bench samples every 250 ms.
  assert.is(chooseIntervalMs(20_000, 250), 1_000);
  assert.is(chooseIntervalMs(2_500, 250), 500);
  // Nothing to go on: the shortest nice interval that holds two of the shortest samples.
  assert.is(chooseIntervalMs(0, 0), 500);
  for (const spanMs of [1_000, 7_777, 45_000, 600_000, 3_600_000]) {
    const intervalMs = chooseIntervalMs(spanMs, 500);
    assert.ok(intervalCount(spanMs, intervalMs) <= 61, `${spanMs} ms in ${intervalMs} ms intervals`);
  }
});

test('summariseLoad with a hold time: the busy cadence sets the interval, not the idle heartbeat', () => {
  // A busy second of reports every 500 ms, then idle heartbeats every 5 s for 15 s (the LB history of a short run).
  const reports = [0, 500, 1_000, 1_500, 6_500, 11_500, 16_500].map((atMs) => sample(atMs, atMs < 1_000 ? 1 : 0));
  assert.is(summariseLoad([reports]).intervalMs, 10_000, 'the median step is the heartbeat: coarse intervals');
  const held = summariseLoad([reports], 7_500);
  assert.is(held.intervalMs, 2_000);
  assert.equal(
    held.intervals[0]!.map((interval) => interval.meanInFlight),
    [0.5, 0, 0, 0, 0, 0, 0, 0, 0],
    'every interval drawn: the heartbeats are held across their silences',
  );
});

test('summariseLoad puts every series on one grid that covers the last sample', () => {
  const steady = Array.from({ length: 41 }, (_, step) => sample(step * 500, 1));
  const late = steady.filter((point) => point.atMs >= 10_000);
  const grid = summariseLoad([steady, late]);
  assert.is(grid.intervalMs, 2_000);
  assert.equal(
    grid.intervals.map((intervals) => intervals.length),
    [11, 11],
  );
  assert.equal(
    grid.intervals[1]!.map((interval) => interval.utilisation),
    [undefined, undefined, undefined, undefined, undefined, 1, 1, 1, 1, 1, 1],
  );
});

test.run();
