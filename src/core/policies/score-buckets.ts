// Slots grouped by equal score, lowest score first: O(1) uniform choice among the tied lowest, O(log d) moves.
//
// Why buckets and not one heap of slots: least-load ties are the common case (a burst over equal
// backends keeps most of them tied at the minimum), and a heap can only hand out its top, so a
// uniform choice among k tied would mean walking all k of them: O(n) again. Here each distinct
// score has a bucket (an array of its slots, each slot knowing its place in it, so removal is a
// swap with the last), and only the buckets sit in a heap, keyed by score. Picking reads the top
// bucket and indexes it at random; moving a slot touches two buckets and, when a bucket empties
// or is new, the heap of d distinct scores (d ≤ n, and small in practice).
//
// Scores are compared with ===, as a scan would, so a fractional reported figure is its own score.

import { IndexedMinHeap } from '../indexed-heap.js';

/** No bucket: the slot has no score yet. */
const NO_BUCKET = -1;

export class ScoreBuckets {
  /** score → bucket id; a bucket exists only while it has slots. */
  readonly #bucketByScore = new Map<number, number>();
  /** Bucket ids keyed by their score; at most one per distinct score. */
  readonly #heap: IndexedMinHeap;
  /** members[bucket]: its slots, in no particular order. Arrays are kept and reused with their ids. */
  readonly #members: number[][];
  readonly #bucketScore: Float64Array;
  /** Bucket ids not in use (a stack); n slots never need more than n buckets. */
  readonly #freeBuckets: Int32Array;
  #freeCount: number;
  readonly #bucketOf: Int32Array;
  readonly #positionInBucket: Int32Array;

  /** Slots run from 0 to capacity − 1, each without a score until set. */
  constructor(capacity: number) {
    this.#heap = new IndexedMinHeap(capacity);
    this.#members = Array.from({ length: capacity }, () => []);
    this.#bucketScore = new Float64Array(capacity);
    this.#freeBuckets = Int32Array.from({ length: capacity }, (_, index) => capacity - 1 - index);
    this.#freeCount = capacity;
    this.#bucketOf = new Int32Array(capacity).fill(NO_BUCKET);
    this.#positionInBucket = new Int32Array(capacity);
  }

  /** The slot's score, undefined before the first set(). */
  scoreOf(slot: number): number | undefined {
    const bucket = this.#bucketOf[slot] as number;
    return bucket === NO_BUCKET ? undefined : this.#bucketScore[bucket];
  }

  /** Gives `slot` this score; the same score again costs one comparison. */
  set(slot: number, score: number): void {
    const current = this.#bucketOf[slot] as number;
    if (current !== NO_BUCKET) {
      if (this.#bucketScore[current] === score) return;
      this.#remove(slot, current);
    }
    let bucket = this.#bucketByScore.get(score);
    if (bucket === undefined) {
      this.#freeCount -= 1;
      bucket = this.#freeBuckets[this.#freeCount] as number;
      this.#bucketScore[bucket] = score;
      this.#bucketByScore.set(score, bucket);
      this.#heap.set(bucket, score);
    }
    const members = this.#members[bucket] as number[];
    this.#bucketOf[slot] = bucket;
    this.#positionInBucket[slot] = members.length;
    members.push(slot);
  }

  /** The slots sharing the lowest score (do not modify); empty when no slot has a score. */
  lowest(): readonly number[] {
    const bucket = this.#heap.peekId();
    return bucket < 0 ? [] : (this.#members[bucket] as number[]);
  }

  /** The lowest score; Infinity when no slot has one. */
  lowestScore(): number {
    return this.#heap.peekKey();
  }

  #remove(slot: number, bucket: number): void {
    const members = this.#members[bucket] as number[];
    const last = members.pop() as number;
    if (last !== slot) {
      const position = this.#positionInBucket[slot] as number;
      members[position] = last;
      this.#positionInBucket[last] = position;
    }
    this.#bucketOf[slot] = NO_BUCKET;
    if (members.length > 0) return;
    this.#bucketByScore.delete(this.#bucketScore[bucket] as number);
    this.#heap.delete(bucket);
    this.#freeBuckets[this.#freeCount] = bucket;
    this.#freeCount += 1;
  }
}
