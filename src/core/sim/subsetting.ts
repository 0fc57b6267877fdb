// Which backends each client talks to in a client-side run: all of them, a random subset, or a deterministic one.
//
// Random subsetting (Google SRE book, "Load Balancing in the Datacenter"): each client draws K distinct
// backends at random. Cheap and stateless, but the number of clients per backend spreads out: with 300
// clients × 300 backends and K = 90 the book finds the least-connected backend at about 63% of the mean
// and the most at about 121%.
//
// Deterministic subsetting here is the ring form of Finagle's deterministic aperture: the backends are
// shuffled once (the same seeded order for every client) and client c takes the K consecutive ones starting
// at c·K on that ring. Consecutive clients tile the ring, so when K·clients is a multiple of the backend
// count every backend gets exactly K·clients / backends clients, and otherwise counts differ by at most one.
// (The SRE book's own algorithm, rounds of shuffled subsets of size K, leaves backends/K's remainder
// unassigned in each round; the ring needs no remainder rule.)

import { LbxError } from '../lbx-error.js';
import { seededRandom } from '../random/seeded-random.js';

export type SubsetSpec = { readonly kind: 'none' } | { readonly kind: 'random' | 'deterministic'; readonly size: number };

export const SUBSET_FORMS = 'none, random:K or deterministic:K';

/** Parses --subset; K must be a positive integer (capped at the backend count when used). */
export function parseSubsetSpec(text: string): SubsetSpec {
  const trimmed = text.trim().toLowerCase();
  if (trimmed === 'none') return { kind: 'none' };
  const match = /^(random|deterministic):(\d+)$/.exec(trimmed);
  const size = match ? Number(match[2]) : 0;
  if (!match || !(size >= 1)) throw new LbxError('usage', `--subset "${text}": expected ${SUBSET_FORMS} (K a whole number ≥ 1)`);
  return { kind: match[1] as 'random' | 'deterministic', size };
}

/** The backends (indices) of each client, each list sorted; the same for the same seed. */
export function assignSubsets(spec: SubsetSpec, clients: number, backends: number, seed: number): Int32Array[] {
  const size = spec.kind === 'none' ? backends : Math.min(spec.size, backends);
  if (spec.kind === 'none' || size === backends) {
    const all = Int32Array.from({ length: backends }, (_, index) => index);
    return Array.from({ length: clients }, () => all);
  }
  return spec.kind === 'random' ? randomSubsets(clients, backends, size, seed) : ringSubsets(clients, backends, size, seed);
}

/** Each client's K from a partial Fisher–Yates shuffle of one shared scratch order, undone after each client. */
function randomSubsets(clients: number, backends: number, size: number, seed: number): Int32Array[] {
  const random = seededRandom(seed ^ 0x5eed_5b5e);
  const order = Int32Array.from({ length: backends }, (_, index) => index);
  const swaps = new Int32Array(size);
  return Array.from({ length: clients }, () => {
    for (let index = 0; index < size; index += 1) {
      const other = index + Math.min(backends - index - 1, Math.floor(random() * (backends - index)));
      swaps[index] = other;
      swap(order, index, other);
    }
    const subset = order.slice(0, size).sort();
    for (let index = size - 1; index >= 0; index -= 1) swap(order, index, swaps[index] as number);
    return subset;
  });
}

/** Client c: K consecutive backends from position c·K on one shuffled ring. */
function ringSubsets(clients: number, backends: number, size: number, seed: number): Int32Array[] {
  const random = seededRandom(seed ^ 0xa9e7_7e5e);
  const ring = Int32Array.from({ length: backends }, (_, index) => index);
  for (let index = backends - 1; index > 0; index -= 1) swap(ring, index, Math.min(index, Math.floor(random() * (index + 1))));
  return Array.from({ length: clients }, (_, client) => {
    const start = (client * size) % backends;
    return Int32Array.from({ length: size }, (_, offset) => ring[(start + offset) % backends] as number).sort();
  });
}

/** Clients per backend under the given subsets (the "connection count" of the SRE book's figures). */
export function connectionCounts(subsets: readonly Int32Array[], backends: number): Int32Array {
  const counts = new Int32Array(backends);
  // Subsets shared by reference (no subsetting) are counted once per client all the same.
  for (const subset of subsets) for (const backend of subset) counts[backend] = (counts[backend] as number) + 1;
  return counts;
}

function swap(items: Int32Array, a: number, b: number): void {
  const held = items[a] as number;
  items[a] = items[b] as number;
  items[b] = held;
}
