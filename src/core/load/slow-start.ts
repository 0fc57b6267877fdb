// Slow start: a backend that has just joined (new, restarted, back from a crash) gets a growing share of new work
// over a window instead of its full share at once, so cold caches, JITs and connection pools warm up first.
//
// Envoy's formula (slow_start_config): the weight is scaled by max(min, (t / window)^(1 / aggression)), t the time
// since the backend joined. gRPC has no slow start of its own; lbx applies the same factor to its own picks (a pick
// of a ramping backend is kept with that probability, else taken again without it) and to the weights it pushes
// to stock clients over xDS.

/** Below this share of its weight a ramping backend never goes: it must get some traffic to warm up. */
export const SLOW_START_MIN_FRACTION = 0.1;
export const SLOW_START_AGGRESSION = 1;

/** The factor (min … 1) for a backend `ageMs` after it joined; 1 once the window is over or without slow start. */
export function slowStartFactor(ageMs: number, windowMs: number, minFraction = SLOW_START_MIN_FRACTION, aggression = SLOW_START_AGGRESSION): number {
  if (!(windowMs > 0) || ageMs >= windowMs) return 1;
  const ramp = Math.pow(Math.max(0, ageMs) / windowMs, 1 / aggression);
  return Math.max(minFraction, Math.min(1, ramp));
}
