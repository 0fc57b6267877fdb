// The simulator's checks against known results (`lbx sim --validate`, the benchmark, the unit tests).

import { runSimulation } from './sim-engine.js';
import { assignSubsets, connectionCounts, type SubsetSpec } from './subsetting.js';
import { spreadOf } from './sim-outcome.js';
import { type Choices, supermarketConfig, supermarketMeanTime } from './supermarket.js';

export interface SupermarketRow {
  readonly servers: number;
  readonly lambda: number;
  readonly choices: Choices;
  readonly requests: number;
  /** The model's figure: exact for d = 1, the n → ∞ limit for d = 2. */
  readonly expected: number;
  readonly simulated: number;
  /** (simulated − expected) / expected. */
  readonly deviation: number;
  readonly tolerance: number;
  readonly passed: boolean;
}

/** The tolerances: 5% at λ = 0.9, 10% at λ = 0.99 (and 5% below 0.9). */
export const supermarketTolerance = (lambda: number): number => (lambda > 0.95 ? 0.1 : 0.05);

export function runSupermarketCheck(options: {
  servers: number;
  lambdas: readonly number[];
  requests: (lambda: number, choices: Choices) => number;
  seed: number;
}): SupermarketRow[] {
  const rows: SupermarketRow[] = [];
  for (const lambda of options.lambdas) {
    for (const choices of [1, 2] as const) {
      const requests = options.requests(lambda, choices);
      const outcome = runSimulation(supermarketConfig({ servers: options.servers, lambda, choices, requests, seed: options.seed }));
      const expected = supermarketMeanTime(lambda, choices);
      const deviation = (outcome.meanLatencyMs - expected) / expected;
      const tolerance = supermarketTolerance(lambda);
      rows.push({
        servers: options.servers,
        lambda,
        choices,
        requests,
        expected,
        simulated: outcome.meanLatencyMs,
        deviation,
        tolerance,
        passed: Math.abs(deviation) <= tolerance,
      });
    }
  }
  return rows;
}

export interface SubsettingRow {
  readonly subset: string;
  readonly clients: number;
  readonly backends: number;
  readonly size: number;
  readonly min: number;
  readonly mean: number;
  readonly max: number;
  /** min and max as fractions of the mean (the SRE book: about 0.63 and 1.21 for random subsets of 90 over 300 × 300). */
  readonly minOfMean: number;
  readonly maxOfMean: number;
}

export function runSubsettingCheck(options: { clients: number; backends: number; size: number; seed: number }): SubsettingRow[] {
  return (['random', 'deterministic'] as const).map((kind) => {
    const spec: SubsetSpec = { kind, size: options.size };
    const spread = spreadOf(connectionCounts(assignSubsets(spec, options.clients, options.backends, options.seed), options.backends));
    return {
      subset: `${kind}:${options.size}`,
      clients: options.clients,
      backends: options.backends,
      size: options.size,
      ...spread,
      minOfMean: spread.min / spread.mean,
      maxOfMean: spread.max / spread.mean,
    };
  });
}
