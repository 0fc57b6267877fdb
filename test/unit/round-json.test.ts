// --json numbers are rounded: whole ms for durations of 10 ms and more, thousandths for everything else.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { roundJsonNumbers } from '../../src/core/round-json.js';

const test = suite('roundJsonNumbers');

test('durations in whole ms, other fractions to three decimals, integers untouched', () => {
  const document = {
    elapsedMs: 1_523.456_789_012,
    readyMs: 987.5,
    maxP99Ms: 0.5,
    latencyMs: { p50: 1.852_345_6, p99: 214.123_456 },
    share: 0.251_234_5,
    throughputPerSec: 242.123_456_7,
    picks: 2_520,
    startedAtUnixMs: 1_764_920_000_000,
    backends: [{ address: '127.0.0.1:7001', cpuPercent: 97.456_789, lastReportAgeMs: 120.4 }],
    speeds: [1, 0.333_333_3],
    name: 'default',
    respawn: false,
    nothing: null,
  };
  assert.equal(roundJsonNumbers(document), {
    elapsedMs: 1_523,
    readyMs: 988,
    maxP99Ms: 0.5,
    latencyMs: { p50: 1.852, p99: 214.123 },
    share: 0.251,
    throughputPerSec: 242.123,
    picks: 2_520,
    startedAtUnixMs: 1_764_920_000_000,
    backends: [{ address: '127.0.0.1:7001', cpuPercent: 97.457, lastReportAgeMs: 120 }],
    speeds: [1, 0.333],
    name: 'default',
    respawn: false,
    nothing: null,
  });
});

test('a Date is written as JSON.stringify would', () => {
  assert.equal(roundJsonNumbers({ at: new Date(0) }), { at: '1970-01-01T00:00:00.000Z' });
});

test.run();
