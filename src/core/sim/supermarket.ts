// Validation 1: Mitzenmacher's supermarket model, whose mean time in system is known in closed form.
//
// n FIFO servers with exponential service of mean 1, Poisson arrivals at rate λn, each arrival joining
// the shortest of d queues drawn at random. d = 1 is n independent M/M/1 queues: mean time 1/(1 − λ).
// d = 2 (as n → ∞): a fraction s_i = λ^(2^i − 1) of queues holds at least i tasks, and the mean time in
// system is Σ_{i≥1} λ^(2^i − 2) (Mitzenmacher 2001, "The power of two choices in randomized load balancing").
//
// lbx's policies play the two: `random` is d = 1, `power_of_two` in proxy mode (exact in-flight counts)
// is d = 2 (its two draws are distinct servers, where the model draws with replacement: at n = 1,000 a
// difference of 0.1% of draws). Runs start in the stationary state, each queue's length drawn from the
// limit distribution, so the time to fill queues of mean length 100 at λ = 0.99 need not be simulated;
// a warm-up is still left out of the figures.

import { resolvePolicy } from '../policies/index.js';
import type { SimRunConfig } from './sim-config.js';

export type Choices = 1 | 2;

/** The model's mean time in system (service mean 1): exact for d = 1, the n → ∞ limit for d = 2. */
export function supermarketMeanTime(lambda: number, choices: Choices): number {
  if (choices === 1) return 1 / (1 - lambda);
  let sum = 0;
  for (let i = 1; i < 64; i += 1) {
    const term = Math.pow(lambda, Math.pow(2, i) - 2);
    sum += term;
    if (term < 1e-15) break;
  }
  return sum;
}

/** A queue length drawn from the stationary distribution: P(Q ≥ i) = λ^i (d = 1) or λ^(2^i − 1) (d = 2). */
export function stationaryQueueLength(lambda: number, choices: Choices, random: () => number): number {
  const u = 1 - random();
  if (choices === 1) return Math.floor(Math.log(u) / Math.log(lambda));
  let length = 0;
  while (length < 64 && Math.pow(lambda, Math.pow(2, length + 1) - 1) >= u) length += 1;
  return length;
}

export interface SupermarketCase {
  readonly servers: number;
  readonly lambda: number;
  readonly choices: Choices;
  readonly requests: number;
  readonly seed: number;
}

/** The simulation of one case: proxy mode, exponential service of mean 1 ms, the first 10% of requests left out. */
export function supermarketConfig(check: SupermarketCase): SimRunConfig {
  return {
    backends: check.servers,
    clients: 1,
    requests: check.requests,
    durationMs: Infinity,
    arrival: { kind: 'poisson', ratePerMs: check.lambda * check.servers },
    simpleShare: 0,
    service: { kind: 'exp', meanMs: 1 },
    speeds: new Array<number>(check.servers).fill(1),
    mode: 'proxy',
    subset: { kind: 'none' },
    updateIntervalMs: 500,
    policy: resolvePolicy(check.choices === 1 ? 'random' : 'p2c'),
    policyConfig: {},
    seed: check.seed,
    warmupRequests: Math.floor(check.requests / 10),
    initialQueue: (_backend, random) => stationaryQueueLength(check.lambda, check.choices, random),
  };
}
