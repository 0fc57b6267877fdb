// A manual clock for core tests: time moves only when the test says so.

export interface FakeClock {
  readonly nowMs: () => number;
  advance(ms: number): void;
}

export function fakeClock(startMs = 0): FakeClock {
  let currentMs = startMs;
  return {
    nowMs: () => currentMs,
    advance(ms) {
      currentMs += ms;
    },
  };
}
