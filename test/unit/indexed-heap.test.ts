// IndexedMinHeap and ScoreBuckets: random operations checked against a plain model after every step.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IndexedMinHeap } from '../../src/core/indexed-heap.js';
import { ScoreBuckets } from '../../src/core/policies/score-buckets.js';
import { seededRandom } from '../helpers/seeded-random.js';

const heap = suite('IndexedMinHeap');

heap('10,000 random sets, deletes and pops agree with a map of id → key', () => {
  const random = seededRandom(17);
  const capacity = 64;
  const subject = new IndexedMinHeap(capacity);
  const model = new Map<number, number>();
  for (let step = 0; step < 10_000; step += 1) {
    const id = Math.floor(random() * capacity);
    const draw = random();
    if (draw < 0.6) {
      // Few distinct keys, so equal keys (ties) are common.
      const key = Math.floor(random() * 20) - 5 + (random() < 0.2 ? 0.5 : 0);
      subject.set(id, key);
      model.set(id, key);
    } else if (draw < 0.85) {
      subject.delete(id);
      model.delete(id);
    } else {
      const popped = subject.pop();
      if (model.size === 0) {
        assert.is(popped, -1);
      } else {
        assert.is(model.get(popped), Math.min(...model.values()), `step ${step}: popped a smallest key`);
        model.delete(popped);
      }
    }
    assert.is(subject.size, model.size, `step ${step}: size`);
    assert.is(subject.peekKey(), model.size === 0 ? Infinity : Math.min(...model.values()), `step ${step}: smallest key`);
    assert.is(subject.has(id), model.has(id));
    assert.is(subject.keyOf(id), model.get(id));
  }
});

heap('clear empties it and ids can come back', () => {
  const subject = new IndexedMinHeap(3);
  subject.set(0, 5);
  subject.set(2, 1);
  subject.clear();
  assert.is(subject.size, 0);
  assert.is(subject.peekId(), -1);
  assert.not.ok(subject.has(2));
  subject.set(2, 7);
  assert.is(subject.peekId(), 2);
});

heap.run();

const buckets = suite('ScoreBuckets');

buckets('10,000 random score changes: lowest() is exactly the set of slots with the lowest score', () => {
  const random = seededRandom(23);
  const capacity = 40;
  const subject = new ScoreBuckets(capacity);
  const model = new Map<number, number>();
  assert.equal([...subject.lowest()], []);
  assert.is(subject.lowestScore(), Infinity);
  for (let step = 0; step < 10_000; step += 1) {
    const slot = Math.floor(random() * capacity);
    const score = Math.floor(random() * 8) + (random() < 0.1 ? 0.25 : 0);
    subject.set(slot, score);
    model.set(slot, score);
    const lowestScore = Math.min(...model.values());
    const expected = [...model].filter(([, value]) => value === lowestScore).map(([id]) => id);
    assert.is(subject.lowestScore(), lowestScore, `step ${step}`);
    assert.equal(
      [...subject.lowest()].sort((a, b) => a - b),
      expected.sort((a, b) => a - b),
      `step ${step}`,
    );
    assert.is(subject.scoreOf(slot), score);
  }
});

buckets.run();
