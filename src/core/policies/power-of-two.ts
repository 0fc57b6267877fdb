// power_of_two: two distinct random healthy backends, the one with fewer requests in flight (per unit of weight) wins.
//
// The power of two choices (Mitzenmacher; tower's p2c balancer): comparing two random
// candidates spreads load almost as well as scanning all of them, costs O(1), and, unlike
// a full scan, does not send a burst to the one backend that looks best on stale figures.
// In-flight is BackendLoad.inFlight(now): exact in proxy mode, estimated in look-aside mode.

import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickerDeps, type PickRequest, type PickResult, type PolicyFactory } from './policy.js';

/** What a P2C picker compares; lower wins. Called at most twice per pick, once per candidate. */
export type CandidateCost = (backend: PickableBackend, nowMs: number) => number;

/**
 * Draws two distinct non-excluded backends with `deps.random` and returns the cheaper one
 * (the first drawn on a tie, or when a cost is NaN); with one candidate, that one. Shared by
 * power_of_two and peak_ewma.
 */
export function pickPowerOfTwo(backends: readonly PickableBackend[], request: PickRequest, deps: PickerDeps, cost: CandidateCost): PickResult {
  // Exclusions are rare (a client retrying after a failure), so only then pay for a filtered copy.
  const candidates = request.exclude.size === 0 ? backends : backends.filter((backend) => !request.exclude.has(backend.address));
  const count = candidates.length;
  if (count === 0) return { kind: 'unavailable', reason: describeUnavailable(backends) };
  if (count === 1) return { kind: 'backend', backend: candidates[0] as PickableBackend, onDone: IGNORE_OUTCOME };
  // Distinct by construction: the second draw is over the count − 1 others, so no redraw loop
  // and exactly two random() calls per pick whatever random() returns.
  const firstIndex = randomIndex(count, deps.random);
  let secondIndex = randomIndex(count - 1, deps.random);
  if (secondIndex >= firstIndex) secondIndex += 1;
  const first = candidates[firstIndex] as PickableBackend;
  const second = candidates[secondIndex] as PickableBackend;
  const nowMs = deps.nowMs();
  const firstCost = cost(first, nowMs);
  const backend = cost(second, nowMs) < firstCost ? second : first;
  return { kind: 'backend', backend, onDone: IGNORE_OUTCOME };
}

/** Uniform in [0, count); min() guards a random() that returns 1. */
function randomIndex(count: number, random: PickerDeps['random']): number {
  return Math.min(count - 1, Math.floor(random() * count));
}

/**
 * Envoy's weighted least-request rule with bias 1: (in flight + 1) / weight. With equal weights it
 * orders exactly as in-flight counts do; with `up --weights`, a backend of a quarter the weight
 * counts as four times as busy, so a slow machine is not handed an equal queue.
 */
const inFlightCost: CandidateCost = (backend, nowMs) => (backend.weight > 0 ? (backend.load.inFlight(nowMs) + 1) / backend.weight : Number.POSITIVE_INFINITY);

class PowerOfTwoPicker implements Picker {
  constructor(
    private readonly backends: readonly PickableBackend[],
    private readonly deps: PickerDeps,
  ) {}

  pick(request: PickRequest): PickResult {
    return pickPowerOfTwo(this.backends, request, this.deps, inFlightCost);
  }
}

export const powerOfTwo: PolicyFactory = {
  name: 'power_of_two',
  shortName: 'p2c',
  description: 'two distinct random healthy backends; the one with fewer requests in flight',
  createPicker: (backends, deps) => new PowerOfTwoPicker([...backends], deps),
};
