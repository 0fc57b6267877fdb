// What a backend's ORCA reports say: report intervals asked for, and the figures a weighted_round_robin client weighs.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { DEFAULT_ORCA_INTERVAL_MS, MAX_ORCA_INTERVAL_MS, MIN_ORCA_INTERVAL_MS, orcaFigures, orcaInterval, type OrcaWindow } from '../../src/core/load/orca-load.js';

const orca = suite('ORCA load figures');

const window = (fields: Partial<OrcaWindow> = {}): OrcaWindow => ({
  wallMs: 2_000,
  cpuMicros: 1_000_000,
  workMs: 800,
  answered: 40,
  errors: 2,
  cores: 2,
  rssBytes: 100,
  totalMemoryBytes: 1_000,
  inFlight: 3,
  queueDepth: 2,
  ...fields,
});

orca('intervals: none or 0 is the default; short and long ones are clamped; a negative or non-finite one is refused, naming it', () => {
  assert.equal(orcaInterval(undefined), { ok: true, ms: DEFAULT_ORCA_INTERVAL_MS });
  assert.equal(orcaInterval(0), { ok: true, ms: DEFAULT_ORCA_INTERVAL_MS });
  assert.equal(orcaInterval(10), { ok: true, ms: MIN_ORCA_INTERVAL_MS });
  assert.equal(orcaInterval(3_600_000), { ok: true, ms: MAX_ORCA_INTERVAL_MS });
  assert.equal(orcaInterval(2_500), { ok: true, ms: 2_500 });
  const negative = orcaInterval(-5);
  assert.ok(!negative.ok && /report_interval -5 ms/.test(negative.message));
  assert.is(orcaInterval(Number.NaN).ok, false);
});

orca('figures: rates per second, application utilisation from the work, CPU as a share of the machine', () => {
  const figures = orcaFigures(window());
  assert.is(figures.rpsFractional, 20);
  assert.is(figures.eps, 1);
  assert.is(figures.applicationUtilization, 0.4);
  assert.is(figures.cpuUtilization, 0.25);
  assert.is(figures.memUtilization, 0.1);
  assert.equal(figures.namedMetrics, { in_flight: 3, queue_depth: 2 });
});

orca('weight (rps / application utilisation) is the inverse of the work per call, whatever the share', () => {
  const weight = (answered: number, workMsPerCall: number): number => {
    const figures = orcaFigures(window({ answered, workMs: answered * workMsPerCall }));
    return figures.rpsFractional / figures.applicationUtilization;
  };
  assert.ok(Math.abs(weight(10, 44) - weight(80, 44)) < 1e-9, 'more calls, same weight');
  assert.ok(Math.abs(weight(10, 11) / weight(10, 44) - 4) < 1e-9, 'four times the work, a quarter of the weight');
});

orca('an empty or idle window reports zeros, never NaN; utilisations stay within ORCA bounds', () => {
  const empty = orcaFigures(window({ wallMs: 0 }));
  for (const value of [empty.rpsFractional, empty.eps, empty.applicationUtilization, empty.cpuUtilization]) assert.is(value, 0);
  const busy = orcaFigures(window({ cpuMicros: 10_000_000, rssBytes: 5_000 }));
  assert.is(busy.cpuUtilization, 1);
  assert.is(busy.memUtilization, 1);
});

orca.run();
