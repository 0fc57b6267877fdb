// nginx's smooth weighted round robin in O(log n) per pick, same sequence: a kinetic tournament over the backends' currents.
//
// nginx, each pick: every current += weight; the largest current wins (the lowest index on a
// tie) and gives back the total weight W. After T picks, current_i = w_i·T + b_i, where b_i only
// moves when i is chosen (−W) or sits a pick out (−w_i, it did not gain). So each backend is a
// line in T, and a pick asks which line is highest at T: a scan of all n lines, unless the answer
// is kept in a tournament tree (leaves in index order; each node holds the winner of its two
// children, the left one on a tie, so the root holds nginx's winner) whose nodes also record when
// their winner would change. A node's winner x beats loser y by gap(T) = v_x − v_y, which shrinks
// by w_y − w_x per pick; when that is positive the node must be re-decided at T + ⌊gap / (w_y −
// w_x)⌋ + 1 (or at ⌈…⌉ when y is the left child, which wins ties). Each node also keeps the
// earliest such time in its subtree, so a pick re-decides only the nodes whose time has come,
// then the path above the backend it chose: O(log n) when weights are equal (no lines cross),
// O(log n) per crossing otherwise. This is Basch, Guibas and Hershberger's kinetic tournament.
//
// Why not a "virtual finish time" heap (EDF, stride scheduling): it picks min((c_i + 1)/w_i),
// a different order — weights 5,1,1 give a a a a a b c, not nginx's a a b a c a a — and the
// exact-sequence tests (and users comparing with nginx) would see it.
//
// Exactness: the scan's floating-point arithmetic is itself exact whenever every
// weight is a multiple of 2^−k and every figure stays far below 2^53·2^−k: then no addition
// rounds, and a computation in whole multiples of 2^−k (what this class does, weights scaled by
// 2^k) takes every decision the scan takes. exactWeightScale() finds such a 2^k, or says there is
// none (0.1 or 1/3 are not short binary fractions: the scan's rounding then decides ties, and
// only the scan reproduces it). To keep every product and difference below 2^50, time is folded
// into the b_i every RENORMALIZE_EVERY_STEPS picks, and the class stops being exact (isExact)
// should a current ever grow past MAX_EXACT_CURRENT; the caller then goes back to the scan,
// handing it the currents, which are still exact at that point.

/** Time is folded back to 0 this often, so w·T stays below MAX_SCALED_TOTAL_WEIGHT · 2^16 = 2^46. */
export const RENORMALIZE_EVERY_STEPS = 2 ** 16;
/** Largest total of the scaled weights this class accepts (see exactWeightScale). */
export const MAX_SCALED_TOTAL_WEIGHT = 2 ** 30;
/** A scaled current beyond this ends exact mode: a guard, as nginx keeps currents within ±W (without exclusions, provably). */
export const MAX_EXACT_CURRENT = 2 ** 46;
/** Binary digits after the point a weight may have: 2^−32 is far finer than any weight typed or derived from a speed. */
const MAX_FRACTION_BITS = 32;

/**
 * The power of two 2^k that makes every weight a whole number, with their scaled total at most
 * MAX_SCALED_TOTAL_WEIGHT; undefined when there is none. Weights must be positive and finite.
 */
export function exactWeightScale(weights: ArrayLike<number>): number | undefined {
  let scale = 1;
  for (let index = 0; index < weights.length; index += 1) {
    const weight = weights[index] as number;
    // Multiplying by a power of two is exact, so this finds the weight's true binary fraction.
    while (!Number.isInteger(weight * scale)) {
      if (scale >= 2 ** MAX_FRACTION_BITS) return undefined;
      scale *= 2;
    }
  }
  let total = 0;
  for (let index = 0; index < weights.length; index += 1) total += (weights[index] as number) * scale;
  return total <= MAX_SCALED_TOTAL_WEIGHT ? scale : undefined;
}

export interface TournamentLimits {
  /** Tests lower these to reach the fold and the exactness limit in a few picks. */
  readonly renormalizeEverySteps?: number;
  readonly maxExactCurrent?: number;
}

export class SmoothWrrTournament {
  readonly #weights: Float64Array;
  /** current_i = weights[i]·time + offsets[i]. */
  readonly #offsets: Float64Array;
  readonly #totalWeight: number;
  readonly #count: number;
  /** Leaves sit at leafBase + i; internal nodes at 1 … leafBase − 1 (node 1 is the root). */
  readonly #leafBase: number;
  /** winner[node]: the index winning that subtree at `time`, −1 for an empty padding leaf. */
  readonly #winner: Int32Array;
  /**
   * earliest[node]: the first time at which the winner of this node or of a node below it may
   * change (Infinity: not while nothing else moves; always for leaves).
   */
  readonly #earliest: Float64Array;
  readonly #renormalizeEverySteps: number;
  readonly #maxExactCurrent: number;
  /** Picks since the last fold. */
  #time = 0;
  #isExact = true;

  /** `scaledWeights`: positive whole numbers totalling at most MAX_SCALED_TOTAL_WEIGHT, at least one. */
  constructor(scaledWeights: ArrayLike<number>, limits: TournamentLimits = {}) {
    this.#count = scaledWeights.length;
    this.#weights = Float64Array.from(scaledWeights);
    this.#offsets = new Float64Array(this.#count);
    this.#totalWeight = this.#weights.reduce((sum, weight) => sum + weight, 0);
    let leafBase = 1;
    while (leafBase < this.#count) leafBase *= 2;
    this.#leafBase = leafBase;
    this.#winner = new Int32Array(2 * leafBase).fill(-1);
    for (let index = 0; index < this.#count; index += 1) this.#winner[leafBase + index] = index;
    this.#earliest = new Float64Array(2 * leafBase).fill(Infinity);
    this.#renormalizeEverySteps = limits.renormalizeEverySteps ?? RENORMALIZE_EVERY_STEPS;
    this.#maxExactCurrent = limits.maxExactCurrent ?? MAX_EXACT_CURRENT;
    this.#rebuild();
  }

  /** False once a current outgrew MAX_EXACT_CURRENT: take currents() and continue with the scan. */
  get isExact(): boolean {
    return this.#isExact;
  }

  /** Each backend's current now, in scaled units (exact). */
  currents(): Float64Array {
    return this.#weights.map((weight, index) => weight * this.#time + (this.#offsets[index] as number));
  }

  /** One pick of nginx's algorithm over every backend; returns the chosen index. */
  step(): number {
    this.#time += 1;
    if ((this.#earliest[1] as number) <= this.#time) this.#redecide(1);
    const chosen = this.#winner[1] as number;
    this.#offsets[chosen] = (this.#offsets[chosen] as number) - this.#totalWeight;
    for (let node = (this.#leafBase + chosen) >> 1; node >= 1; node >>= 1) this.#decide(node);
    if (this.#time >= this.#renormalizeEverySteps) this.#fold();
    return chosen;
  }

  /**
   * One pick among the backends not excluded (excluded[i] = 1), which keep their currents, as
   * nginx treats a peer already tried: the others gain their weights and the chosen one gives
   * back their total. Returns −1, changing nothing, when all are excluded. O(n): exclusions are rare.
   */
  stepExcluding(excluded: Uint8Array): number {
    const weights = this.#weights;
    const offsets = this.#offsets;
    const time = this.#time + 1;
    let chosen = -1;
    let highest = -Infinity;
    let totalWeight = 0;
    for (let index = 0; index < this.#count; index += 1) {
      const weight = weights[index] as number;
      if (excluded[index] === 1) {
        offsets[index] = (offsets[index] as number) - weight; // time moves on, its current does not
        continue;
      }
      const value = weight * time + (offsets[index] as number);
      totalWeight += weight;
      if (value > highest) {
        highest = value;
        chosen = index;
      }
    }
    this.#time = time;
    if (chosen >= 0) offsets[chosen] = (offsets[chosen] as number) - totalWeight;
    this.#rebuild();
    if (this.#time >= this.#renormalizeEverySteps) this.#fold();
    return chosen;
  }

  // Re-decides every node under `node` whose time has come, children first.
  #redecide(node: number): void {
    const left = 2 * node;
    if (left < this.#leafBase) {
      if ((this.#earliest[left] as number) <= this.#time) this.#redecide(left);
      if ((this.#earliest[left + 1] as number) <= this.#time) this.#redecide(left + 1);
    }
    this.#decide(node);
  }

  // Sets the node's winner at `time` from its children's, and when that may next change.
  #decide(node: number): void {
    const left = this.#winner[2 * node] as number;
    const right = this.#winner[2 * node + 1] as number;
    let winner = left;
    let redecideAt = Infinity;
    if (right >= 0) {
      const weights = this.#weights;
      const time = this.#time;
      const leftWeight = weights[left] as number;
      const rightWeight = weights[right] as number;
      const leftValue = leftWeight * time + (this.#offsets[left] as number);
      const rightValue = rightWeight * time + (this.#offsets[right] as number);
      // The left child holds the lower indices, so it wins ties, as nginx's first-in-order does.
      const isLeftWinning = leftValue >= rightValue;
      if (!isLeftWinning) winner = right;
      const gap = isLeftWinning ? leftValue - rightValue : rightValue - leftValue;
      const closingPerStep = isLeftWinning ? rightWeight - leftWeight : leftWeight - rightWeight;
      if (closingPerStep > 0) {
        // Whole numbers below 2^53: % and the division of a multiple are exact.
        const remainder = gap % closingPerStep;
        const wholeSteps = (gap - remainder) / closingPerStep;
        // The loser overtakes when the gap goes below 0; a left loser already when it reaches 0.
        redecideAt = time + (!isLeftWinning && remainder === 0 ? wholeSteps : wholeSteps + 1);
      }
    }
    this.#winner[node] = winner;
    this.#earliest[node] = Math.min(redecideAt, this.#earliest[2 * node] as number, this.#earliest[2 * node + 1] as number);
  }

  #rebuild(): void {
    for (let node = this.#leafBase - 1; node >= 1; node -= 1) this.#decide(node);
  }

  // Moves time back to 0 without changing any current or any winner; every deadline shifts with it.
  #fold(): void {
    const elapsed = this.#time;
    let largest = 0;
    for (let index = 0; index < this.#count; index += 1) {
      const offset = (this.#offsets[index] as number) + (this.#weights[index] as number) * elapsed;
      this.#offsets[index] = offset;
      largest = Math.max(largest, Math.abs(offset));
    }
    this.#time = 0;
    for (let node = 1; node < this.#leafBase; node += 1) this.#earliest[node] = (this.#earliest[node] as number) - elapsed;
    if (largest > this.#maxExactCurrent) this.#isExact = false;
  }
}
