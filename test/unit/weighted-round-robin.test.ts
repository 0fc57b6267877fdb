// weighted_round_robin: nginx's smooth weighted round robin, exact sequences and proportions.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IGNORE_OUTCOME, type PickableBackend, type Picker } from '../../src/core/policies/policy.js';
import { weightedRoundRobin } from '../../src/core/policies/weighted-round-robin.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';

// Smooth WRR draws no randomness: any call to random() fails the test.
const deps = {
  random: () => {
    throw new Error('weighted_round_robin must not draw randomness');
  },
  nowMs: fakeClock().nowMs,
};

/** Backends a, b, c, … on 7001, 7002, … with the given weights. */
function withWeights(...weights: number[]): PickableBackend[] {
  return makeBackends(weights.length).map((backend, index) => ({ ...backend, weight: weights[index] ?? 1 }));
}

const LETTER_BY_ADDRESS = new Map(['a', 'b', 'c', 'd', 'e'].map((letter, index) => [`127.0.0.1:${7001 + index}`, letter]));

/** The next `count` picks as letters (a = 7001 …). */
function pickLetters(picker: Picker, count: number, exclude: string[] = []): string[] {
  return Array.from({ length: count }, () => LETTER_BY_ADDRESS.get(pickedAddress(picker.pick(pickRequest(exclude)))) ?? '?');
}

const test = suite('weighted_round_robin');

test("weights a=5, b=1, c=1 give nginx's sequence a a b a c a a, cycle after cycle", () => {
  const picker = weightedRoundRobin.createPicker(withWeights(5, 1, 1), deps);
  const cycle = ['a', 'a', 'b', 'a', 'c', 'a', 'a'];
  assert.equal(pickLetters(picker, 7), cycle);
  assert.equal(pickLetters(picker, 7), cycle);
  assert.equal(pickLetters(picker, 7), cycle);
});

test('weights 1, 1, 2, 4 give d c d a b d c d, cycle after cycle', () => {
  // By hand (current after += weight → chosen; chosen −= 8):
  //   1 1 2 4 → d · 2 2 4 0 → c · 3 3 -2 4 → d · 4 4 0 0 → a (first on a tie)
  //   -3 5 2 4 → b · -2 -2 4 8 → d · -1 -1 6 4 → c · 0 0 0 8 → d, and all currents are 0 again.
  const picker = weightedRoundRobin.createPicker(withWeights(1, 1, 2, 4), deps);
  const cycle = ['d', 'c', 'd', 'a', 'b', 'd', 'c', 'd'];
  for (let round = 0; round < 50; round += 1) assert.equal(pickLetters(picker, 8), cycle, `cycle ${round}`);
});

test('exact proportions over many cycles, integer and fractional weights', () => {
  const count = (picker: Picker, picks: number) => {
    const counts = new Map<string, number>();
    for (const letter of pickLetters(picker, picks)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    return Object.fromEntries([...counts].sort());
  };
  assert.equal(count(weightedRoundRobin.createPicker(withWeights(1, 1, 2, 4), deps), 8 * 1_000), { a: 1_000, b: 1_000, c: 2_000, d: 4_000 });
  assert.equal(count(weightedRoundRobin.createPicker(withWeights(3, 7, 11, 1, 2), deps), 24 * 500), { a: 1_500, b: 3_500, c: 5_500, d: 500, e: 1_000 });
  // Weights derived from speeds 1,1,1,0.25: 13 picks per 3.25 units of weight.
  assert.equal(count(weightedRoundRobin.createPicker(withWeights(1, 1, 1, 0.25), deps), 13 * 400), { a: 1_600, b: 1_600, c: 1_600, d: 400 });
});

test("within any window of up to 40 picks, each backend's count stays within 1 of its exact share (smoothness)", () => {
  const weights = [1, 1, 2, 4];
  const picker = weightedRoundRobin.createPicker(withWeights(...weights), deps);
  const picks = pickLetters(picker, 800);
  const total = 8;
  for (let length = 1; length <= 40; length += 1) {
    for (let start = 0; start + length <= picks.length; start += 1) {
      const window = picks.slice(start, start + length);
      ['a', 'b', 'c', 'd'].forEach((letter, index) => {
        const share = (length * (weights[index] ?? 0)) / total;
        const got = window.filter((picked) => picked === letter).length;
        assert.ok(Math.abs(got - share) <= 1, `${letter}: ${got} of ${length} from ${start}, share ${share}`);
      });
    }
  }
});

test('weight 0 (or negative, or not a number) is never picked; the rest keep their proportions', () => {
  const picker = weightedRoundRobin.createPicker(withWeights(2, 0, 1, -3, Number.NaN), deps);
  const picks = pickLetters(picker, 300);
  assert.equal(new Set(picks), new Set(['a', 'c']));
  assert.is(picks.filter((letter) => letter === 'a').length, 200);
});

test('unavailable with a reason when no backend has a positive weight', () => {
  assert.equal(weightedRoundRobin.createPicker(withWeights(0, -1), deps).pick(pickRequest()), {
    kind: 'unavailable',
    reason: 'none of the 2 healthy backends has a positive weight',
  });
  assert.equal(weightedRoundRobin.createPicker(withWeights(0), deps).pick(pickRequest()), {
    kind: 'unavailable',
    reason: 'the only healthy backend (127.0.0.1:7001) has weight 0; only a positive weight is picked',
  });
});

test('unavailable with a reason when every pickable backend is excluded', () => {
  const all = withWeights(1, 2, 3);
  assert.equal(weightedRoundRobin.createPicker(all, deps).pick(pickRequest(all.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 3 healthy backends excluded by the client',
  });
  assert.equal(weightedRoundRobin.createPicker(withWeights(1, 0, 0), deps).pick(pickRequest(['127.0.0.1:7001'])), {
    kind: 'unavailable',
    reason: 'the only healthy backend with a positive weight (127.0.0.1:7001) is excluded by the client; 2 more have none',
  });
  assert.equal(weightedRoundRobin.createPicker(withWeights(1, 1, 0), deps).pick(pickRequest(['127.0.0.1:7001', '127.0.0.1:7002'])), {
    kind: 'unavailable',
    reason: 'all 2 healthy backends with a positive weight excluded by the client; 1 more has none',
  });
  assert.equal(weightedRoundRobin.createPicker([], deps).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test('an excluded backend sits the pick out; the one whose turn it was goes next', () => {
  // d's turn first; with d excluded c takes it (1 1 2 among a b c, total 4), then d comes at once.
  const picker = weightedRoundRobin.createPicker(withWeights(1, 1, 2, 4), deps);
  assert.equal(pickLetters(picker, 1, ['127.0.0.1:7004']), ['c']);
  assert.equal(pickLetters(picker, 1), ['d']);
});

test('excluding a backend for a whole cycle runs smooth WRR over the rest, then the full sequence resumes untouched', () => {
  const picker = weightedRoundRobin.createPicker(withWeights(1, 1, 2, 4), deps);
  // a b c with weights 1 1 2: 1 1 2 → c · 2 2 0 → a · -1 3 2 → b · 0 0 4 → c; their currents are 0 again and d's never moved.
  assert.equal(pickLetters(picker, 4, ['127.0.0.1:7004']), ['c', 'a', 'b', 'c']);
  assert.equal(pickLetters(picker, 8), ['d', 'c', 'd', 'a', 'b', 'd', 'c', 'd']);
});

test("under random exclusions, picks among the others keep their weights' proportions", () => {
  const picker = weightedRoundRobin.createPicker(withWeights(1, 1, 2, 4), deps);
  const counts = new Map<string, number>();
  // b is excluded on every third pick; a, c and d are never excluded and must keep ratio 1:2:4.
  for (let i = 0; i < 8_000; i += 1) {
    const letter = pickLetters(picker, 1, i % 3 === 0 ? ['127.0.0.1:7002'] : [])[0] ?? '?';
    counts.set(letter, (counts.get(letter) ?? 0) + 1);
  }
  const a = counts.get('a') ?? 0;
  assert.ok(Math.abs((counts.get('c') ?? 0) / a - 2) < 0.01, JSON.stringify([...counts]));
  assert.ok(Math.abs((counts.get('d') ?? 0) / a - 4) < 0.01, JSON.stringify([...counts]));
  assert.not.ok((counts.get('b') ?? 0) === 0);
});

test('onDone is the shared no-op; names wrr / weighted_round_robin', () => {
  const result = weightedRoundRobin.createPicker(withWeights(1, 2), deps).pick(pickRequest());
  assert.ok(result.kind === 'backend' && result.onDone === IGNORE_OUTCOME);
  assert.is(weightedRoundRobin.name, 'weighted_round_robin');
  assert.is(weightedRoundRobin.shortName, 'wrr');
});

test.run();
