// The simulator against known results at small sizes: the supermarket model's mean times, subsetting's connection spread.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { LogHistogram } from '../../src/core/sim/log-histogram.js';
import { parseServiceSpec, serviceMeanMs, serviceSampler } from '../../src/core/sim/service-model.js';
import { assignSubsets, connectionCounts, parseSubsetSpec } from '../../src/core/sim/subsetting.js';
import { stationaryQueueLength, supermarketMeanTime } from '../../src/core/sim/supermarket.js';
import { runSubsettingCheck, runSupermarketCheck } from '../../src/core/sim/validations.js';
import { seededRandom } from '../../src/core/random/seeded-random.js';

const supermarket = suite('supermarket model');

supermarket('the formulas: 10 and 100 for d=1, 2.614 and 5.432 for d=2 at λ 0.9 and 0.99', () => {
  assert.ok(Math.abs(supermarketMeanTime(0.9, 1) - 10) < 1e-9);
  assert.ok(Math.abs(supermarketMeanTime(0.99, 1) - 100) < 1e-9);
  assert.is(supermarketMeanTime(0.9, 2).toFixed(3), '2.614');
  assert.is(supermarketMeanTime(0.99, 2).toFixed(3), '5.432');
});

supermarket('the stationary start draws queue lengths with P(Q ≥ 1) = λ (d=1) and λ (d=2), P(Q ≥ 2) = λ² and λ³', () => {
  const random = seededRandom(3);
  const draws = 100_000;
  for (const [choices, atLeastTwo] of [
    [1, 0.64],
    [2, 0.512],
  ] as const) {
    let one = 0;
    let two = 0;
    for (let index = 0; index < draws; index += 1) {
      const length = stationaryQueueLength(0.8, choices, random);
      if (length >= 1) one += 1;
      if (length >= 2) two += 1;
    }
    assert.ok(Math.abs(one / draws - 0.8) < 0.01, `d=${choices} P(Q≥1) ${one / draws}`);
    assert.ok(Math.abs(two / draws - atLeastTwo) < 0.01, `d=${choices} P(Q≥2) ${two / draws}`);
  }
});

// 50 servers at λ = 0.8 and 100,000 requests: across seeds the mean lands within about ±5% (d=1, one standard deviation
// about 2%) and d=2 a little above the n → ∞ limit; 10% is the honest bound at this size, not the benchmark's 5%.
supermarket('50 servers, λ 0.8: random (d=1) and p2c (d=2) within 10% of the model', () => {
  const rows = runSupermarketCheck({ servers: 50, lambdas: [0.8], requests: () => 100_000, seed: 11 });
  assert.is(rows.length, 2);
  for (const row of rows) assert.ok(Math.abs(row.deviation) < 0.1, `d=${row.choices}: ${row.simulated} vs ${row.expected}`);
  const [random, p2c] = rows as [(typeof rows)[0], (typeof rows)[0]];
  assert.ok(p2c.simulated < random.simulated / 1.5, 'two choices cut the time in system');
});

const subsets = suite('subsetting');

subsets('random subsets of 90 over 300 clients × 300 backends spread connections widely (SRE book: about 63%–121%)', () => {
  const [random, deterministic] = runSubsettingCheck({ clients: 300, backends: 300, size: 90, seed: 1 }) as [
    ReturnType<typeof runSubsettingCheck>[0],
    ReturnType<typeof runSubsettingCheck>[0],
  ];
  assert.is(random.mean, 90);
  assert.ok(random.minOfMean > 0.55 && random.minOfMean < 0.85, `min ${random.minOfMean}`);
  assert.ok(random.maxOfMean > 1.12 && random.maxOfMean < 1.4, `max ${random.maxOfMean}`);
  assert.equal([deterministic.min, deterministic.max], [90, 90]);
});

subsets('every subset holds K distinct backends; deterministic counts differ by at most one when K · clients is no multiple', () => {
  for (const kind of ['random', 'deterministic'] as const) {
    const all = assignSubsets({ kind, size: 7 }, 13, 20, 5);
    for (const subset of all) {
      assert.is(new Set(subset).size, 7);
      assert.ok(subset.every((backend) => backend >= 0 && backend < 20));
    }
  }
  const counts = connectionCounts(assignSubsets({ kind: 'deterministic', size: 7 }, 13, 20, 5), 20);
  assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, String([...counts]));
  assert.equal(assignSubsets({ kind: 'random', size: 7 }, 13, 20, 5), assignSubsets({ kind: 'random', size: 7 }, 13, 20, 5));
});

subsets('--subset forms: none, random:K, deterministic:K; anything else is a usage error naming the forms', () => {
  assert.equal(parseSubsetSpec('deterministic:4'), { kind: 'deterministic', size: 4 });
  assert.equal(parseSubsetSpec('none'), { kind: 'none' });
  assert.throws(() => parseSubsetSpec('random:0'), /random:K or deterministic:K/);
  assert.throws(() => parseSubsetSpec('aperture:3'), /--subset "aperture:3"/);
});

const models = suite('service models and histograms');

models('samplers have the means the specs say (within 2% over 200,000 draws)', () => {
  for (const text of ['exp:2', 'lognormal:30,45', 'bimodal:1,20,0.05']) {
    const spec = parseServiceSpec(text);
    const sample = serviceSampler(spec);
    const random = seededRandom(9);
    let sum = 0;
    for (let index = 0; index < 200_000; index += 1) sum += sample(random);
    const mean = serviceMeanMs(spec);
    assert.ok(Math.abs(sum / 200_000 - mean) / mean < 0.02, `${text}: ${sum / 200_000} vs ${mean}`);
  }
  assert.throws(() => parseServiceSpec('lognormal:30'), /expected 2 positive numbers/);
  assert.throws(() => parseServiceSpec('gamma:1'), /exp\[:meanMs\]/);
});

models('the log histogram keeps percentiles within 1% in fixed memory', () => {
  const histogram = new LogHistogram();
  for (let value = 1; value <= 100_000; value += 1) histogram.record(value / 100);
  assert.is(histogram.count, 100_000);
  for (const [percentile, exact] of [
    [50, 500],
    [99, 990],
  ] as const) {
    const found = histogram.percentileMs(percentile);
    assert.ok(Math.abs(found - exact) / exact < 0.01, `p${percentile}: ${found}`);
  }
});

supermarket.run();
subsets.run();
models.run();
