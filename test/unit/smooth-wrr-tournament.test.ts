// weighted_round_robin's O(log n) tournament: the same picks as nginx's scan, pick for pick, over many weights and exclusions.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { PickableBackend } from '../../src/core/policies/policy.js';
import { exactWeightScale, MAX_SCALED_TOTAL_WEIGHT, SmoothWrrTournament } from '../../src/core/policies/smooth-wrr-tournament.js';
import { weightedRoundRobin, WeightedRoundRobinPicker } from '../../src/core/policies/weighted-round-robin.js';
import { makeBackends, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const deps = {
  random: () => {
    throw new Error('weighted_round_robin must not draw randomness');
  },
  nowMs: fakeClock().nowMs,
};

/** nginx's smooth WRR as a plain scan in floating point (the picker's algorithm before the tournament). */
function nginxScan(weights: readonly number[]): (excluded: readonly boolean[]) => number {
  const current = new Float64Array(weights.length);
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  return (excluded) => {
    let chosen = -1;
    let highest = -Infinity;
    let totalWeight = 0;
    const isAnyExcluded = excluded.some(Boolean);
    for (let index = 0; index < weights.length; index += 1) {
      if (excluded[index]) continue;
      const weight = weights[index] as number;
      const value = (current[index] as number) + weight;
      current[index] = value;
      totalWeight += weight;
      if (value > highest) {
        highest = value;
        chosen = index;
      }
    }
    if (chosen >= 0) current[chosen] = highest - (isAnyExcluded ? totalWeight : total);
    return chosen;
  };
}

function withWeights(weights: readonly number[]): PickableBackend[] {
  return makeBackends(weights.length).map((backend, index) => ({ ...backend, weight: weights[index] ?? 1 }));
}

/** Runs the picker and the reference side by side for `picks` picks; returns the first mismatch, or '' when none. */
function compareWithScan(weights: readonly number[], picks: number, random: () => number, excludeProbability: number): string {
  const backends = withWeights(weights);
  const picker = weightedRoundRobin.createPicker(backends, deps);
  const reference = nginxScan(weights);
  const noneExcluded = weights.map(() => false);
  const noExclusions = pickRequest();
  for (let pick = 0; pick < picks; pick += 1) {
    const excluded = random() < excludeProbability ? weights.map(() => random() < 0.3) : noneExcluded;
    const request = excluded === noneExcluded ? noExclusions : pickRequest(backends.filter((_, index) => excluded[index]).map((backend) => backend.address));
    const result = picker.pick(request);
    const expected = reference(excluded);
    const got = result.kind === 'backend' ? backends.indexOf(result.backend) : -1;
    if (got !== expected) return `pick ${pick}: got ${got}, nginx's scan ${expected} (weights ${weights.join(',')})`;
  }
  return '';
}

const test = suite('smooth WRR tournament');

test("same picks as nginx's scan: 300 random weight sets of 1–300 backends, whole and binary-fraction weights, with exclusions", () => {
  const random = seededRandom(808);
  const menus: readonly (readonly number[])[] = [[1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [0.25, 0.5, 1, 1.5, 3], [1, 100, 1_000, 12_345], [0.125, 7.875, 2]];
  for (let trial = 0; trial < 300; trial += 1) {
    const menu = menus[trial % menus.length] as readonly number[];
    const count = 1 + Math.floor(random() ** 2 * 300);
    const weights = Array.from({ length: count }, () => menu[Math.floor(random() * menu.length)] as number);
    const mismatch = compareWithScan(weights, 2_000, random, trial % 3 === 0 ? 0.02 : 0);
    assert.is(mismatch, '', mismatch);
  }
});

test("same picks as nginx's scan over 200,000 picks (three folds of time) with every weight distinct", () => {
  const weights = Array.from({ length: 37 }, (_, index) => index + 1 + (index % 4) * 0.25);
  assert.is(compareWithScan(weights, 200_000, seededRandom(5), 0.01), '');
});

test('weights that are no short binary fraction (0.1, 1/3) use the scan itself, so nothing changes there either', () => {
  assert.is(exactWeightScale([0.1, 1]), undefined);
  assert.is(exactWeightScale([1 / 3]), undefined);
  const random = seededRandom(9);
  assert.is(compareWithScan([0.1, 0.2, 0.3, 1 / 3, 0.7], 20_000, random, 0.05), '');
  assert.is(
    compareWithScan(
      Array.from({ length: 50 }, (_, index) => 0.1 * (index + 1)),
      20_000,
      random,
      0,
    ),
    '',
  );
});

test('exactWeightScale: the power of two that makes every weight whole, within the total the tournament takes', () => {
  assert.is(exactWeightScale([1, 1, 2, 4]), 1);
  assert.is(exactWeightScale([1, 1, 1, 0.25]), 4);
  assert.is(exactWeightScale([0.5, 0.375]), 8);
  assert.is(exactWeightScale([MAX_SCALED_TOTAL_WEIGHT]), 1);
  assert.is(exactWeightScale([MAX_SCALED_TOTAL_WEIGHT, 1]), undefined, 'too large a total');
  assert.is(exactWeightScale([2 ** -40]), undefined, 'too fine a fraction');
});

test('folding time back to 0 every few picks changes no pick', () => {
  const weights = [3, 7, 11, 1, 2, 5, 5, 8];
  const tournament = new SmoothWrrTournament(weights, { renormalizeEverySteps: 7 });
  const reference = nginxScan(weights);
  const random = seededRandom(3);
  for (let pick = 0; pick < 10_000; pick += 1) {
    const excluded = weights.map(() => random() < 0.02);
    const expected = reference(excluded);
    const got = excluded.some(Boolean) ? tournament.stepExcluding(Uint8Array.from(excluded, Number)) : tournament.step();
    assert.is(got, expected, `pick ${pick}`);
  }
  assert.ok(tournament.isExact);
});

test("past its exactness limit the tournament says so, and the currents it hands over are nginx's", () => {
  const weights = [1, 2, 4];
  const tournament = new SmoothWrrTournament(weights, { renormalizeEverySteps: 5, maxExactCurrent: 0 });
  const reference = new Float64Array(weights.length);
  for (let pick = 0; pick < 5; pick += 1) {
    tournament.step();
    // The reference's currents, by the scan's own rule.
    let chosen = 0;
    for (let index = 0; index < weights.length; index += 1) {
      reference[index] = (reference[index] as number) + (weights[index] as number);
      if ((reference[index] as number) > (reference[chosen] as number)) chosen = index;
    }
    reference[chosen] = (reference[chosen] as number) - 7;
  }
  assert.not.ok(tournament.isExact);
  assert.equal([...tournament.currents()], [...reference]);
});

test('a picker whose tournament stops being exact continues with the scan from the same currents', () => {
  const weights = [1, 1, 2, 4, 0.5];
  const backends = withWeights(weights);
  const picker = new WeightedRoundRobinPicker(backends, { renormalizeEverySteps: 3, maxExactCurrent: 0 });
  const reference = nginxScan(weights);
  for (let pick = 0; pick < 1_000; pick += 1) {
    const result = picker.pick(pickRequest(pick % 10 === 0 ? ['127.0.0.1:7002'] : []));
    assert.is(result.kind === 'backend' ? backends.indexOf(result.backend) : -1, reference(weights.map((_, index) => pick % 10 === 0 && index === 1)), `pick ${pick}`);
  }
  assert.not.ok(picker.isTournamentRunning);
});

test('1,000 equal weights: each backend once per 1,000 picks, in address order, as nginx does', () => {
  const backends = withWeights(Array.from({ length: 1_000 }, () => 1));
  const picker = weightedRoundRobin.createPicker(backends, deps);
  for (let round = 0; round < 3; round += 1) {
    for (const backend of backends) {
      const result = picker.pick(pickRequest());
      assert.ok(result.kind === 'backend' && result.backend === backend, `round ${round}: ${backend.address}`);
    }
  }
});

test.run();
