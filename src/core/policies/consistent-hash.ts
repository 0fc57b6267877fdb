// consistent_hash: the owner of the request's key on a hash ring (512 slots × 9 virtual nodes by default), optionally with bounded loads.
//
// The ring is built once per picker; the balancer rebuilds the picker when membership
// changes, and keys move only as the ring dictates (see hash-ring.ts). Bounded loads
// (Mirrokni, Thorup, Zadimoghaddam 2018, "Consistent Hashing with Bounded Loads"): with factor
// c, no backend may hold more than ceil(c × (in flight + 1) / n) requests; a key whose owner
// is full walks on clockwise to the next backend with room, so hot keys spill over without
// reshuffling the others.
//
// Without keys (`lbx send` with no --key/--keys) every request hashes the empty string and goes
// to one backend. That is consistent hashing doing its job, not a bug; `--keys N` spreads them.

import {
  coursePlacement,
  DEFAULT_RING_SLOTS,
  DEFAULT_VIRTUAL_NODES,
  HashRing,
  murmur3Placement,
  type RingDescription,
  type RingMember,
  type RingPlacement,
} from '../hash/hash-ring.js';
import { LbxError } from '../lbx-error.js';
import {
  describeUnavailable,
  IGNORE_OUTCOME,
  type PickableBackend,
  type Picker,
  type PickerDeps,
  type PickRequest,
  type PickResult,
  type PolicyConfig,
  type PolicyFactory,
} from './policy.js';

export const MAX_RING_SLOTS = 65_536;
export const MAX_VIRTUAL_NODES = 1_000;

/** A PolicyConfig's ring settings, validated, with defaults filled in. */
export interface RingSettings {
  readonly slots: number;
  readonly virtualNodes: number;
  readonly placement: RingPlacement;
  /** Bounded-load factor c ≥ 1; undefined = unbounded. */
  readonly hashBalance: number | undefined;
}

/** Checks the ring settings of `config`; a usage error names the setting and the value found. */
export function resolveRingSettings(config: PolicyConfig = {}): RingSettings {
  const slots = config.ringSlots ?? DEFAULT_RING_SLOTS;
  const virtualNodes = config.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
  checkIntegerInRange('ring slots (--ring-slots)', slots, MAX_RING_SLOTS);
  checkIntegerInRange('virtual nodes per backend (--vnodes)', virtualNodes, MAX_VIRTUAL_NODES);
  const ringHash: string = config.ringHash ?? 'murmur3';
  if (ringHash !== 'murmur3' && ringHash !== 'course') {
    throw new LbxError('usage', `unknown ring hash "${ringHash}"; expected murmur3 or course`);
  }
  const { hashBalance } = config;
  if (hashBalance !== undefined && !(Number.isFinite(hashBalance) && hashBalance >= 1)) {
    throw new LbxError('usage', `hash balance (--hash-balance) must be a finite number ≥ 1 (1.25 allows 25% over the average), got ${hashBalance}`);
  }
  return { slots, virtualNodes, placement: ringHash === 'course' ? coursePlacement : murmur3Placement, hashBalance };
}

function checkIntegerInRange(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new LbxError('usage', `${what} must be an integer from 1 to ${max}, got ${value}`);
  }
}

/** The ring the policy would build over `members` with `config` (for `lbx ring` and keyMovement). */
export function buildRing<M extends RingMember>(members: readonly M[], config: PolicyConfig = {}): HashRing<M> {
  const { slots, virtualNodes, placement } = resolveRingSettings(config);
  return new HashRing(members, { slots, virtualNodes, placement });
}

/** Each backend's slots and share of the key space, for `lbx ring`. */
export function describeRing(members: readonly RingMember[], config: PolicyConfig = {}): RingDescription {
  return buildRing(members, config).describe();
}

/** Keys that went from one owner to another; null where a ring had no owner (it was empty). */
export interface KeyFlow {
  readonly from: string | null;
  readonly to: string | null;
  readonly keys: number;
}

export interface KeyMovement {
  readonly keys: number;
  readonly moved: number;
  /** moved / keys (0 for no keys). */
  readonly fraction: number;
  /** One entry per (from, to) address pair, most keys first. */
  readonly flows: readonly KeyFlow[];
}

/** How many of `keys` change owner from `before` to `after`, and between which backends. */
export function keyMovement(keys: readonly string[], before: HashRing<RingMember>, after: HashRing<RingMember>): KeyMovement {
  const flows = new Map<string, { from: string | null; to: string | null; keys: number }>();
  let moved = 0;
  for (const key of keys) {
    const from = before.ownerOf(key)?.address ?? null;
    const to = after.ownerOf(key)?.address ?? null;
    if (from === to) continue;
    moved += 1;
    const pair = JSON.stringify([from, to]);
    const flow = flows.get(pair) ?? { from, to, keys: 0 };
    flow.keys += 1;
    flows.set(pair, flow);
  }
  return {
    keys: keys.length,
    moved,
    fraction: keys.length === 0 ? 0 : moved / keys.length,
    flows: [...flows.values()].sort((a, b) => b.keys - a.keys || String(a.from).localeCompare(String(b.from)) || String(a.to).localeCompare(String(b.to))),
  };
}

class ConsistentHashPicker implements Picker {
  constructor(
    private readonly ring: HashRing<PickableBackend>,
    private readonly deps: PickerDeps,
    private readonly hashBalance: number | undefined,
  ) {}

  pick(request: PickRequest): PickResult {
    const { exclude } = request;
    const backend =
      this.hashBalance === undefined ? this.ring.findOwner(request.key, (candidate) => !exclude.has(candidate.address)) : this.#boundedOwner(request, this.hashBalance);
    if (backend === undefined) return { kind: 'unavailable', reason: describeUnavailable(this.ring.members) };
    return { kind: 'backend', backend, onDone: IGNORE_OUTCOME };
  }

  // Capacity counts only the backends this request may use, so one with room always exists:
  // the least loaded holds at most the mean, which is below c × (total + 1) / n for c ≥ 1.
  #boundedOwner(request: PickRequest, balance: number): PickableBackend | undefined {
    const { exclude } = request;
    const nowMs = this.deps.nowMs();
    let inFlight = 0;
    let eligible = 0;
    for (const backend of this.ring.members) {
      if (exclude.has(backend.address)) continue;
      inFlight += backend.load.score(nowMs);
      eligible += 1;
    }
    if (eligible === 0) return undefined;
    const capacity = ceilExact((balance * (inFlight + 1)) / eligible);
    return this.ring.findOwner(request.key, (candidate) => !exclude.has(candidate.address) && candidate.load.score(nowMs) < capacity);
  }
}

// Math.ceil, except that a product meant to be a whole number (1.1 × 10 = 11.000000000000002) stays one.
function ceilExact(value: number): number {
  const nearest = Math.round(value);
  return Math.abs(value - nearest) < 1e-9 ? nearest : Math.ceil(value);
}

export const consistentHash: PolicyFactory = {
  name: 'consistent_hash',
  shortName: 'ch',
  description: "the owner of the request's key on a hash ring (512 slots × 9 virtual nodes, murmur3), with optional bounded loads",
  createPicker: (backends, deps, config) => {
    const { slots, virtualNodes, placement, hashBalance } = resolveRingSettings(config);
    return new ConsistentHashPicker(new HashRing(backends, { slots, virtualNodes, placement }), deps, hashBalance);
  },
};
