// A consistent-hash ring of numbered slots: members' virtual nodes in slots (linear probing), each key owned by the next node clockwise.
//
// The shape is the source course's: `slots` slots, `virtualNodes` per member, and a virtual
// node whose slot is taken moves on to the next free slot, wrapping. Where nodes and keys
// land is a pluggable RingPlacement: murmur3 (the default) or the course's own polynomials,
// kept so users can see them fail; tests inject their own to place nodes exactly.
//
// Members are placed in address order whatever order they are given in, so the same set
// always yields the same ring. Probing has one cost that no insertion-independent rule
// avoids: a new node that wins a slot pushes an existing node on to the next free slot,
// whose keys then change hands between existing members (a removal undoes it likewise).
// It needs a collision, so it is rare (with murmur3, about C(n·v, 2)/slots collisions in
// all), and a member that sorts after all the others never displaces anyone.

import { compareAddresses } from '../address-order.js';
import { LbxError } from '../lbx-error.js';
import { murmur3 } from './murmur3.js';

export const DEFAULT_RING_SLOTS = 512;
export const DEFAULT_VIRTUAL_NODES = 9;

/** What the ring needs to know about a backend. */
export interface RingMember {
  readonly address: string;
  readonly id: string;
}

/** Where virtual nodes and keys land. Both functions return an integer slot, 0 ≤ slot < slots. */
export interface RingPlacement {
  readonly name: string;
  /** Preferred slot of virtual node `replica` (0-based) of `member`, which is `index`-th (0-based) in address order. */
  nodeSlot(member: RingMember, index: number, replica: number, slots: number): number;
  keySlot(key: string, slots: number): number;
}

/** Virtual node j of the member with id X at murmur3("X#j"); the separator keeps "a1#0" and "a#10" apart. */
export const murmur3Placement: RingPlacement = {
  name: 'murmur3',
  nodeSlot: (member, _index, replica, slots) => murmur3(`${member.id}#${replica}`) % slots,
  keySlot: (key, slots) => murmur3(key) % slots,
};

/**
 * The source course's formulas, on purpose: a key at H(i) = i + 2i² + 17 and virtual node j of
 * the i-th member at Φ(i, j) = i + j + 2j² + 25, both mod slots. Members' nodes crowd into one
 * short arc, so the member whose nodes open that arc owns the long stretch before it: most keys.
 * It is not consistent either: i is the member's index, so a new member that sorts first
 * shifts every other member's nodes.
 *
 * A key's i is the integer it ends with ("user-42" → 42, "17" → 17), as the course's
 * numeric request ids; a key with no trailing digits uses murmur3(key) as its i.
 */
export const coursePlacement: RingPlacement = {
  name: 'course',
  nodeSlot: (_member, index, replica, slots) => (index + replica + 2 * replica * replica + 25) % slots,
  keySlot: (key, slots) => {
    // The polynomial mod slots depends only on i mod slots; reducing first keeps i² exact for huge ids.
    const i = trailingIntegerMod(key, slots) ?? murmur3(key) % slots;
    return (i + 2 * i * i + 17) % slots;
  },
};

/** The decimal integer `key` ends with, mod `modulus`; undefined when it ends with no digit. */
function trailingIntegerMod(key: string, modulus: number): number | undefined {
  let start = key.length;
  while (start > 0 && isDigit(key.charCodeAt(start - 1))) start -= 1;
  if (start === key.length) return undefined;
  let value = 0;
  for (let index = start; index < key.length; index += 1) value = (value * 10 + key.charCodeAt(index) - 48) % modulus;
  return value;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;

export interface HashRingOptions {
  readonly slots?: number;
  readonly virtualNodes?: number;
  readonly placement?: RingPlacement;
}

/** A virtual node that linear probing moved from the slot its placement chose. */
export interface DisplacedNode {
  readonly replica: number;
  readonly preferredSlot: number;
  readonly slot: number;
}

/** One member's place on the ring, for `lbx ring` and tests. */
export interface RingMemberShare {
  readonly address: string;
  readonly id: string;
  /** Slots its virtual nodes sit in, ascending. */
  readonly heldSlots: readonly number[];
  /** Its virtual nodes that found their preferred slot taken and moved on (linear probing). */
  readonly displaced: readonly DisplacedNode[];
  /** Ring slots whose keys map to it. */
  readonly ownedSlots: number;
  /** ownedSlots / slots: its share of the key space. */
  readonly share: number;
}

export interface RingDescription {
  readonly placement: string;
  readonly slots: number;
  readonly virtualNodes: number;
  /** In address order. */
  readonly members: readonly RingMemberShare[];
  /** Largest share over the mean share (1 is perfectly even); 0 for an empty ring. */
  readonly maxOverMean: number;
}

const NO_OWNER = -1;

export class HashRing<M extends RingMember> {
  readonly slots: number;
  readonly virtualNodes: number;
  readonly placement: RingPlacement;
  /** In address order; the member indexes below point here. */
  readonly members: readonly M[];
  /** Occupied slots, ascending: what a key's slot is binary-searched in. */
  readonly #occupied: Int32Array;
  /** Index into members of the node at each #occupied entry. */
  readonly #ownerIndexes: Int32Array;
  readonly #displaced: DisplacedNode[][];

  constructor(members: readonly M[], options: HashRingOptions = {}) {
    this.slots = options.slots ?? DEFAULT_RING_SLOTS;
    this.virtualNodes = options.virtualNodes ?? DEFAULT_VIRTUAL_NODES;
    this.placement = options.placement ?? murmur3Placement;
    this.members = [...members].sort((a, b) => compareAddresses(a.address, b.address));
    checkPositiveInteger('ring slots', this.slots);
    checkPositiveInteger('virtual nodes', this.virtualNodes);
    const nodeCount = this.members.length * this.virtualNodes;
    if (nodeCount > this.slots) {
      throw new LbxError('usage', `a ring of ${this.slots} slots cannot hold ${this.members.length} backends × ${this.virtualNodes} virtual nodes (${nodeCount})`, [
        'use more ring slots or fewer virtual nodes per backend',
      ]);
    }

    const ownerAt = new Int32Array(this.slots).fill(NO_OWNER);
    this.#displaced = this.members.map(() => []);
    this.members.forEach((member, index) => {
      for (let replica = 0; replica < this.virtualNodes; replica += 1) {
        const preferred = this.placement.nodeSlot(member, index, replica, this.slots);
        if (!Number.isInteger(preferred) || preferred < 0 || preferred >= this.slots) {
          const where = `${member.address}#${replica} at ${preferred}`;
          throw new LbxError('runtime', `placement ${this.placement.name} put ${where}, outside 0..${this.slots - 1}`);
        }
        // Linear probing: terminates because nodeCount ≤ slots leaves a free slot for every node.
        let slot = preferred;
        while (ownerAt[slot] !== NO_OWNER) slot = (slot + 1) % this.slots;
        ownerAt[slot] = index;
        if (slot !== preferred) this.#displaced[index]?.push({ replica, preferredSlot: preferred, slot });
      }
    });

    this.#occupied = new Int32Array(nodeCount);
    this.#ownerIndexes = new Int32Array(nodeCount);
    let filled = 0;
    ownerAt.forEach((owner, slot) => {
      if (owner === NO_OWNER) return;
      this.#occupied[filled] = slot;
      this.#ownerIndexes[filled] = owner;
      filled += 1;
    });
  }

  /** The slot `key` hashes to (before looking for its owner). */
  slotOf(key: string): number {
    return this.placement.keySlot(key, this.slots);
  }

  /** The member whose node is first at or after the key's slot, wrapping; undefined on an empty ring. */
  ownerOf(key: string): M | undefined {
    if (this.#occupied.length === 0) return undefined;
    return this.members[this.#ownerIndexes[this.#firstNodeAtOrAfter(this.slotOf(key))] ?? NO_OWNER];
  }

  /**
   * The first member clockwise from the key's slot that `accept` takes, or undefined when it
   * takes none. `accept` may be asked about one member more than once (once per node); it
   * allocates nothing, so a pick can skip excluded or full members cheaply.
   */
  findOwner(key: string, accept: (member: M) => boolean): M | undefined {
    const count = this.#occupied.length;
    if (count === 0) return undefined;
    const start = this.#firstNodeAtOrAfter(this.slotOf(key));
    for (let step = 0; step < count; step += 1) {
      const member = this.members[this.#ownerIndexes[(start + step) % count] ?? NO_OWNER];
      if (member !== undefined && accept(member)) return member;
    }
    return undefined;
  }

  /** Every member once, in the order met walking clockwise from the key's slot (the key's owner first). */
  ownersInOrderFrom(key: string): M[] {
    const count = this.#occupied.length;
    if (count === 0) return [];
    const start = this.#firstNodeAtOrAfter(this.slotOf(key));
    const seen = new Set<number>();
    const owners: M[] = [];
    for (let step = 0; step < count && owners.length < this.members.length; step += 1) {
      const index = this.#ownerIndexes[(start + step) % count] ?? NO_OWNER;
      const member = this.members[index];
      if (member === undefined || seen.has(index)) continue;
      seen.add(index);
      owners.push(member);
    }
    return owners;
  }

  /** Each member's slots and share of the key space, and how uneven the shares are. */
  describe(): RingDescription {
    const heldSlots: number[][] = this.members.map(() => []);
    const ownedSlots: number[] = this.members.map(() => 0);
    const count = this.#occupied.length;
    for (let position = 0; position < count; position += 1) {
      const slot = this.#occupied[position] ?? 0;
      const owner = this.#ownerIndexes[position] ?? 0;
      // A node owns the slots after the previous node up to its own; the first node's arc wraps.
      const previous = position === 0 ? (this.#occupied[count - 1] ?? 0) - this.slots : (this.#occupied[position - 1] ?? 0);
      heldSlots[owner]?.push(slot);
      ownedSlots[owner] = (ownedSlots[owner] ?? 0) + (slot - previous);
    }
    const members = this.members.map((member, index) => ({
      address: member.address,
      id: member.id,
      heldSlots: heldSlots[index] ?? [],
      displaced: [...(this.#displaced[index] ?? [])],
      ownedSlots: ownedSlots[index] ?? 0,
      share: (ownedSlots[index] ?? 0) / this.slots,
    }));
    const maxShare = Math.max(0, ...members.map((member) => member.share));
    return {
      placement: this.placement.name,
      slots: this.slots,
      virtualNodes: this.virtualNodes,
      members,
      maxOverMean: members.length === 0 ? 0 : maxShare * members.length,
    };
  }

  /** Position in #occupied of the first node at or after `slot`, wrapping to 0 past the last. */
  #firstNodeAtOrAfter(slot: number): number {
    let low = 0;
    let high = this.#occupied.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.#occupied[middle] ?? 0) < slot) low = middle + 1;
      else high = middle;
    }
    return low === this.#occupied.length ? 0 : low;
  }
}

function checkPositiveInteger(what: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new LbxError('usage', `${what} must be a positive integer, got ${value}`);
}
