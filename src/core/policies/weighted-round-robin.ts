// weighted_round_robin: smooth weighted round robin (nginx's algorithm) over each backend's weight.
//
// Every pick, each backend's `current` grows by its weight; the one with the largest current
// is chosen (the first in address order on a tie) and gives back the total weight. Over any
// cycle of Σweight picks each backend is chosen exactly `weight` times, and the heavy ones are
// spread out rather than sent in a burst: weights 5,1,1 give a a b a c a a, not a a a a a b c.
//
// Weights that are not positive finite numbers are never picked (weight 0 takes a backend
// out of rotation without removing it); when no backend has a positive weight every pick is
// unavailable, saying so.
//
// Excluded backends (the client just saw them fail) sit that pick out the way nginx treats
// a peer it already tried: they neither gain weight nor count towards the total. The
// remaining backends run one step of the same algorithm among themselves, so the sum of all
// currents stays 0 and an excluded backend comes back with the credit it had, neither
// punished nor owed a burst of catch-up picks.
//
// Speed: a scan of every current per pick manages about 450k picks/s over 1,000 backends, so
// when the weights allow it exactly (whole numbers, or short binary fractions such as 0.25) the
// picker runs the same algorithm as a kinetic tournament in O(log n) per pick, producing the
// identical sequence (see smooth-wrr-tournament.ts). Weights such as 0.1 or 1/3 keep the scan:
// its floating-point rounding decides ties there, and only the scan itself reproduces it.

import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickRequest, type PickResult, type PolicyFactory } from './policy.js';
import { exactWeightScale, SmoothWrrTournament, type TournamentLimits } from './smooth-wrr-tournament.js';

// Membership and weights are fixed; only the currents move, as round robin's cursor does.
// Exported for tests, which lower the tournament's limits to reach its hand-over to the scan.
export class WeightedRoundRobinPicker implements Picker {
  /** Backends with a positive weight, in address order; weights[i] and current[i] belong to weighted[i]. */
  readonly #weighted: readonly PickableBackend[];
  // Typed arrays keep the O(n) scan of every pick tight (no property reads per backend).
  readonly #weights: Float64Array;
  /** The scan's currents; unused (zeros) while the tournament runs. */
  #current: Float64Array;
  readonly #totalWeight: number;
  /** The same algorithm in O(log n), while the weights allow it exactly; undefined: the scan runs. */
  #tournament: SmoothWrrTournament | undefined;
  /** The tournament's weights are these weights × scale (a power of two). */
  readonly #scale: number;
  /** Scratch for stepExcluding: 1 where the backend is excluded from this pick. */
  readonly #excluded: Uint8Array;

  constructor(
    private readonly backends: readonly PickableBackend[],
    tournamentLimits: TournamentLimits = {},
  ) {
    this.#weighted = backends.filter((backend) => isPickableWeight(backend.weight));
    this.#weights = Float64Array.from(this.#weighted, (backend) => backend.weight);
    this.#current = new Float64Array(this.#weighted.length);
    this.#totalWeight = this.#weights.reduce((sum, weight) => sum + weight, 0);
    this.#excluded = new Uint8Array(this.#weighted.length);
    const scale = this.#weighted.length === 0 ? undefined : exactWeightScale(this.#weights);
    this.#scale = scale ?? 1;
    this.#tournament =
      scale === undefined
        ? undefined
        : new SmoothWrrTournament(
            this.#weights.map((weight) => weight * scale),
            tournamentLimits,
          );
  }

  /** True while picks run on the O(log n) tournament rather than the scan. */
  get isTournamentRunning(): boolean {
    return this.#tournament !== undefined;
  }

  pick(request: PickRequest): PickResult {
    const chosenIndex =
      this.#tournament !== undefined ? this.#stepTournament(this.#tournament, request.exclude) : request.exclude.size === 0 ? this.#step() : this.#stepExcluding(request.exclude);
    if (chosenIndex < 0) return { kind: 'unavailable', reason: this.#describeUnavailable() };
    return { kind: 'backend', backend: this.#weighted[chosenIndex] as PickableBackend, onDone: IGNORE_OUTCOME };
  }

  // One step on the tournament; the O(n) excluding step only when an exclusion names one of ours.
  #stepTournament(tournament: SmoothWrrTournament, exclude: ReadonlySet<string>): number {
    let chosenIndex: number;
    if (exclude.size === 0 || !this.#markExcluded(exclude)) {
      chosenIndex = tournament.step();
    } else {
      chosenIndex = tournament.stepExcluding(this.#excluded);
      this.#excluded.fill(0);
    }
    if (!tournament.isExact) {
      // Dividing by a power of two is exact: the scan continues from exactly where the tournament was.
      this.#current = tournament.currents().map((current) => current / this.#scale);
      this.#tournament = undefined;
    }
    return chosenIndex;
  }

  // Sets #excluded for this pick; true when any weighted backend is excluded.
  #markExcluded(exclude: ReadonlySet<string>): boolean {
    let isAnyExcluded = false;
    for (let index = 0; index < this.#weighted.length; index += 1) {
      if (!exclude.has((this.#weighted[index] as PickableBackend).address)) continue;
      this.#excluded[index] = 1;
      isAnyExcluded = true;
    }
    return isAnyExcluded;
  }

  // One step of nginx's algorithm over every weighted backend; returns the chosen index, -1 if none.
  #step(): number {
    const weights = this.#weights;
    const current = this.#current;
    let chosenIndex = -1;
    let highest = -Infinity;
    for (let index = 0; index < weights.length; index += 1) {
      const value = (current[index] as number) + (weights[index] as number);
      current[index] = value;
      if (value > highest) {
        highest = value;
        chosenIndex = index;
      }
    }
    if (chosenIndex >= 0) current[chosenIndex] = highest - this.#totalWeight;
    return chosenIndex;
  }

  // The same step among the backends not excluded; the excluded keep their currents untouched.
  #stepExcluding(exclude: ReadonlySet<string>): number {
    const weights = this.#weights;
    const current = this.#current;
    let chosenIndex = -1;
    let highest = -Infinity;
    let totalWeight = 0;
    for (let index = 0; index < weights.length; index += 1) {
      if (exclude.has((this.#weighted[index] as PickableBackend).address)) continue;
      const weight = weights[index] as number;
      const value = (current[index] as number) + weight;
      current[index] = value;
      totalWeight += weight;
      if (value > highest) {
        highest = value;
        chosenIndex = index;
      }
    }
    if (chosenIndex >= 0) current[chosenIndex] = highest - totalWeight;
    return chosenIndex;
  }

  #describeUnavailable(): string {
    const unweighted = this.backends.length - this.#weighted.length;
    if (unweighted === 0) return describeUnavailable(this.backends);
    if (this.#weighted.length === 0) {
      return this.backends.length === 1
        ? `the only healthy backend (${this.backends[0]?.address}) has weight ${this.backends[0]?.weight}; only a positive weight is picked`
        : `none of the ${this.backends.length} healthy backends has a positive weight`;
    }
    const others = `${unweighted} more ${unweighted === 1 ? 'has' : 'have'} none`;
    return this.#weighted.length === 1
      ? `the only healthy backend with a positive weight (${this.#weighted[0]?.address}) is excluded by the client; ${others}`
      : `all ${this.#weighted.length} healthy backends with a positive weight excluded by the client; ${others}`;
  }
}

function isPickableWeight(weight: number): boolean {
  return Number.isFinite(weight) && weight > 0;
}

export const weightedRoundRobin: PolicyFactory = {
  name: 'weighted_round_robin',
  shortName: 'wrr',
  description: "each healthy backend in proportion to its weight, interleaved smoothly (nginx's smooth weighted round robin)",
  createPicker: (backends) => new WeightedRoundRobinPicker([...backends]),
};
