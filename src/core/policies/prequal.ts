// prequal: Google's Prequal (Wydrowski et al., "Load is not what you should balance: Introducing Prequal",
// NSDI 2024): pick by requests in flight (RIF) and estimated latency among a few recently probed backends,
// with the hot-cold lexicographic (HCL) rule.
//
// As in the paper: every pick sends PROBES_PER_PICK probes to random backends; probe results go to a pool
// (at most POOL_SIZE, oldest out first) and are reused across picks until they are MAX_PROBE_AGE_MS old or
// used MAX_PROBE_USES times. A pick classes the pool's backends hot (RIF above the HOT_QUANTILE of the
// pool's RIFs) or cold, takes the cold one with the lowest latency, or, when all are hot, the one with the
// fewest in flight; a used probe's RIF goes up by one, as the request just sent adds to it.
//
// Where lbx departs: a probe is not an RPC but a read of what the LB already knows of that backend (its
// in flight from load reports and the LB's own assignments, its peak-EWMA latency), taken at probe time
// and aged like a probe; the LB hears from every backend every 500 ms, so an RPC would add load for little.
// The numbers are lbx's choices for a lab of 2–64 backends, not the paper's tuned values: 2 probes per pick,
// a pool of 16, probes at most 1 s old and used at most 3 times, hot above the 80th percentile of pool RIFs.
import { DEFAULT_UNKNOWN_LATENCY_MS } from './peak-ewma.js';
import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickerDeps, type PickRequest, type PickResult, type PolicyFactory } from './policy.js';

export const PROBES_PER_PICK = 2;
export const POOL_SIZE = 16;
export const MAX_PROBE_AGE_MS = 1_000;
export const MAX_PROBE_USES = 3;
/** A backend is hot when its RIF is above this quantile of the pool's RIFs. */
export const HOT_QUANTILE = 0.8;

interface Probe {
  readonly backend: PickableBackend;
  readonly atMs: number;
  rif: number;
  readonly latencyMs: number;
  uses: number;
}

/**
 * The value at quantile `q` of `values`, interpolated between ranks: a pool of a few probes then still has a
 * threshold below its most loaded backend (nearest rank would make the maximum the threshold, and nobody hot).
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const position = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/** HCL: the cold probe with the lowest latency, else (all hot) the one with the fewest in flight. */
export function hotColdLexicographic<T extends { readonly rif: number; readonly latencyMs: number }>(probes: readonly T[]): T | undefined {
  if (probes.length === 0) return undefined;
  const threshold = quantile(
    probes.map((probe) => probe.rif),
    HOT_QUANTILE,
  );
  const cold = probes.filter((probe) => probe.rif <= threshold);
  const pool = cold.length > 0 ? cold : probes;
  const key = cold.length > 0 ? (probe: T) => probe.latencyMs : (probe: T) => probe.rif;
  return pool.reduce((best, probe) => (key(probe) < key(best) ? probe : best));
}

class PrequalPicker implements Picker {
  private pool: Probe[] = [];

  constructor(
    private readonly backends: readonly PickableBackend[],
    private readonly deps: PickerDeps,
  ) {}

  pick(request: PickRequest): PickResult {
    const candidates = request.exclude.size === 0 ? this.backends : this.backends.filter((backend) => !request.exclude.has(backend.address));
    if (candidates.length === 0) return { kind: 'unavailable', reason: describeUnavailable(this.backends) };
    const nowMs = this.deps.nowMs();
    this.probe(candidates, nowMs);
    this.pool = this.pool.filter((probe) => nowMs - probe.atMs <= MAX_PROBE_AGE_MS && probe.uses < MAX_PROBE_USES);
    const usable = this.pool.filter((probe) => !request.exclude.has(probe.backend.address));
    const chosen = hotColdLexicographic(usable);
    if (chosen === undefined) return { kind: 'backend', backend: candidates[Math.floor(this.deps.random() * candidates.length)]!, onDone: IGNORE_OUTCOME };
    chosen.uses += 1;
    chosen.rif += 1;
    return { kind: 'backend', backend: chosen.backend, onDone: IGNORE_OUTCOME };
  }

  /** PROBES_PER_PICK random backends' current figures join the pool (one probe per backend: a newer one replaces it). */
  private probe(candidates: readonly PickableBackend[], nowMs: number): void {
    for (let count = 0; count < Math.min(PROBES_PER_PICK, candidates.length); count += 1) {
      const backend = candidates[Math.min(candidates.length - 1, Math.floor(this.deps.random() * candidates.length))]!;
      const load = backend.load;
      const probe: Probe = { backend, atMs: nowMs, rif: load.inFlight(nowMs), latencyMs: load.hasLatencySample ? load.peakEwmaMs(nowMs) : DEFAULT_UNKNOWN_LATENCY_MS, uses: 0 };
      this.pool = [...this.pool.filter((kept) => kept.backend.address !== backend.address), probe].slice(-POOL_SIZE);
    }
  }
}

export const prequal: PolicyFactory = {
  name: 'prequal',
  shortName: 'pq',
  description: "Prequal (NSDI '24): probes reused across picks; the coldest by requests in flight, then the fastest",
  createPicker: (backends, deps) => new PrequalPicker([...backends], deps),
};
