// The analysis behind `lbx ring`: a cluster's consistent-hash ring laid out over keys, and how keys move when a backend joins or leaves.
import { buildRing, keyMovement, resolveRingSettings, type KeyFlow } from '../policies/consistent-hash.js';
import type { HashRing, RingMember } from './hash-ring.js';
import { isLbxError, LbxError } from '../lbx-error.js';
import type { PolicyConfig } from '../policies/policy.js';

export const DEFAULT_RING_KEYS = 10_000;
/** Counting owners of a million keys takes about a second; more says nothing new. */
export const MAX_RING_KEYS = 1_000_000;
/** Flows listed in text; --json lists them all. */
export const MAX_FLOWS_SHOWN = 10;

/** The key set of `lbx ring --keys N`: key-0 … key-(N-1), as `lbx send --keys N` cycles through. */
export const ringKeys = (count: number): string[] => Array.from({ length: count }, (_, index) => `key-${index}`);

/** One backend's place on the ring and how many of the keys it owns. */
export interface RingBackendRow {
  readonly address: string;
  readonly id: string;
  /** Slots its virtual nodes sit in, ascending (one per virtual node). */
  readonly heldSlots: readonly number[];
  /** Its virtual nodes that found their preferred slot taken and moved on (linear probing). */
  readonly displaced: number;
  /** Ring slots whose keys map to it. */
  readonly ownedSlots: number;
  /** ownedSlots / slots: its share of the key space. */
  readonly share: number;
  /** How many of the key set it owns. */
  readonly keys: number;
}

export interface RingLayout {
  /** 'murmur3' or 'course'. */
  readonly hash: string;
  readonly slots: number;
  readonly virtualNodesPerBackend: number;
  /** Number of keys in the set (key-0 … key-(keys-1)). */
  readonly keys: number;
  /** In address order. */
  readonly backends: readonly RingBackendRow[];
  /** Largest share of the key space over the mean share; 0 without backends. */
  readonly maxOverMean: number;
  /** Largest key count over the mean key count; 0 without backends. */
  readonly keysMaxOverMean: number;
}

export type RingSource =
  | { readonly kind: 'cluster'; readonly name: string; readonly policy: string; readonly exited: readonly string[] }
  | { readonly kind: 'hypothetical'; readonly host: string; readonly basePort: number };

export type RingChange = { readonly kind: 'add'; readonly backends: readonly string[] } | { readonly kind: 'remove'; readonly backend: string };

/**
 * none: no key of the set moved · minimal: keys moved only to the added backends, or only
 * from the removed one · between-remaining: some keys also changed hands between backends on both rings.
 */
export type MovementVerdict = 'none' | 'minimal' | 'between-remaining';

export interface RingMovement {
  readonly change: RingChange;
  readonly after: RingLayout;
  readonly keys: number;
  readonly moved: number;
  /** moved / keys. */
  readonly fraction: number;
  /** One entry per (from, to) address pair, most keys first; null = no owner (an empty ring). */
  readonly flows: readonly KeyFlow[];
  readonly verdict: MovementVerdict;
  /** Keys that moved between backends present on both rings. */
  readonly movedBetweenRemaining: number;
  /** Virtual nodes of backends present on both rings that sit in another slot after the change. */
  readonly shiftedNodes: number;
}

export interface RingResult {
  readonly source: RingSource;
  /** Bounded-load factor the cluster runs with; it can route a key past its owner, which this view ignores. */
  readonly hashBalance?: number;
  readonly ring: RingLayout;
  readonly movement?: RingMovement;
}

export interface RingInput {
  readonly source: RingSource;
  readonly members: readonly RingMember[];
  readonly config: PolicyConfig;
  readonly keyCount: number;
  /** Backends to add (on the next ports), or the port of a member to remove. */
  readonly change?: { readonly kind: 'add'; readonly members: readonly RingMember[] } | { readonly kind: 'remove'; readonly port: number };
}

/** The port an address ends with ("127.0.0.1:7002" → 7002); NaN when it has none. */
export const portOf = (address: string): number => Number(address.slice(address.lastIndexOf(':') + 1));

/** Builds the ring (and the ring after the change) and counts where the keys go; usage errors name the bad value. */
export function analyzeRing(input: RingInput): RingResult {
  if (!Number.isInteger(input.keyCount) || input.keyCount < 1 || input.keyCount > MAX_RING_KEYS) {
    throw new LbxError('usage', `--keys must be an integer from 1 to ${MAX_RING_KEYS}, got ${input.keyCount}`);
  }
  const { hashBalance } = resolveRingSettings(input.config);
  const keys = ringKeys(input.keyCount);
  const before = buildRing(input.members, input.config);
  const ring = layOut(before, keys);
  const base = { source: input.source, ...(hashBalance === undefined ? {} : { hashBalance }), ring };
  if (input.change === undefined) return base;

  let afterMembers: RingMember[];
  let change: RingChange;
  if (input.change.kind === 'add') {
    afterMembers = [...input.members, ...input.change.members];
    change = { kind: 'add', backends: input.change.members.map((member) => member.address) };
  } else {
    const { port } = input.change;
    const removed = input.members.find((member) => portOf(member.address) === port);
    const exited = input.source.kind === 'cluster' ? input.source.exited.find((address) => portOf(address) === port) : undefined;
    if (removed === undefined && exited !== undefined) {
      throw new LbxError('usage', `--remove ${port}: backend ${exited} has exited and is already off the ring`);
    }
    if (removed === undefined) {
      const ports = input.members.map((member) => portOf(member.address)).sort((a, b) => a - b);
      throw new LbxError('usage', `--remove ${port}: no backend of ${describeSource(input.source)} is on port ${port}; backend ports: ${ports.join(', ') || 'none'}`);
    }
    afterMembers = input.members.filter((member) => member !== removed);
    change = { kind: 'remove', backend: removed.address };
  }
  const afterRing = buildAfter(afterMembers, input.config, change);
  const after = layOut(afterRing, keys);
  const movement = keyMovement(keys, before, afterRing);

  const changed = new Set(change.kind === 'add' ? change.backends : [change.backend]);
  const movedBetweenRemaining = movement.flows.filter((flow) => !changed.has(flow.from ?? '') && !changed.has(flow.to ?? '')).reduce((sum, flow) => sum + flow.keys, 0);
  const heldAfter = new Map(after.backends.map((row) => [row.address, new Set(row.heldSlots)]));
  const shiftedNodes = ring.backends.reduce((sum, row) => {
    const held = heldAfter.get(row.address);
    return held === undefined ? sum : sum + row.heldSlots.filter((slot) => !held.has(slot)).length;
  }, 0);
  const verdict: MovementVerdict = movement.moved === 0 ? 'none' : movedBetweenRemaining === 0 ? 'minimal' : 'between-remaining';
  return { ...base, movement: { change, after, ...movement, verdict, movedBetweenRemaining, shiftedNodes } };
}

// The ring before the change was fine, so an error here is the change's: say which.
function buildAfter(members: readonly RingMember[], config: PolicyConfig, change: RingChange): HashRing<RingMember> {
  try {
    return buildRing(members, config);
  } catch (error) {
    if (!isLbxError(error)) throw error;
    const flag = change.kind === 'add' ? `--add ${change.backends.length}` : `--remove ${portOf(change.backend)}`;
    throw new LbxError(error.code, `${flag}: ${error.message}`, error.suggestions, { cause: error });
  }
}

function layOut(ring: HashRing<RingMember>, keys: readonly string[]): RingLayout {
  const description = ring.describe();
  const keysByAddress = new Map<string, number>();
  for (const key of keys) {
    const owner = ring.ownerOf(key);
    if (owner !== undefined) keysByAddress.set(owner.address, (keysByAddress.get(owner.address) ?? 0) + 1);
  }
  const backends = description.members.map((member) => ({
    address: member.address,
    id: member.id,
    heldSlots: member.heldSlots,
    displaced: member.displaced.length,
    ownedSlots: member.ownedSlots,
    share: member.share,
    keys: keysByAddress.get(member.address) ?? 0,
  }));
  const maxKeys = Math.max(0, ...backends.map((row) => row.keys));
  return {
    hash: description.placement,
    slots: description.slots,
    virtualNodesPerBackend: description.virtualNodes,
    keys: keys.length,
    backends,
    maxOverMean: description.maxOverMean,
    keysMaxOverMean: backends.length === 0 || keys.length === 0 ? 0 : (maxKeys * backends.length) / keys.length,
  };
}

export function describeSource(source: RingSource): string {
  return source.kind === 'cluster' ? `cluster "${source.name}"` : 'the hypothetical cluster';
}

/** The whole `lbx ring` text: where it comes from, the ring, and with a change the ring after it and the keys that move. */
