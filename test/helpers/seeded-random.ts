// A tiny seeded PRNG (mulberry32) standing in for Math.random, so unit tests repeat exactly.

/** Returns a random() in [0, 1) whose sequence depends only on `seed`. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

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
