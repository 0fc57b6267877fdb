// Random sources for unit tests: the core's seeded PRNG, and a scripted one that replays given values.

export { seededRandom } from '../../src/core/random/seeded-random.js';

/** A random() that replays `values` in order, for tests that need a known draw; throws when they run out. */
export function scriptedRandom(...values: number[]): () => number {
  let index = 0;
  return () => {
    const value = values[index];
    if (value === undefined) throw new Error(`scriptedRandom ran out after ${values.length} values`);
    index += 1;
    return value;
  };
}
