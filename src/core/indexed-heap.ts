// A binary min-heap of small integer ids keyed by numbers, with O(log n) update and removal of any id.
//
// Pickers keep their members as slots 0…n−1, so ids index typed arrays instead of objects:
// no allocation per operation, and `positions` finds an id in the heap in O(1) to move or
// remove it (a plain heap could only pop the top). Among equal keys the order is arbitrary.

export class IndexedMinHeap {
  /** keys[id]: meaningful only while the id is in the heap. */
  readonly #keys: Float64Array;
  /** heap[position] = id; positions 0…size−1 are in use. */
  readonly #heap: Int32Array;
  /** positions[id] = its position in heap, or −1 when absent. */
  readonly #positions: Int32Array;
  #size = 0;

  /** Ids run from 0 to capacity − 1. */
  constructor(capacity: number) {
    this.#keys = new Float64Array(capacity);
    this.#heap = new Int32Array(capacity);
    this.#positions = new Int32Array(capacity).fill(-1);
  }

  get size(): number {
    return this.#size;
  }

  has(id: number): boolean {
    return (this.#positions[id] as number) >= 0;
  }

  /** The key of an id in the heap (undefined when absent). */
  keyOf(id: number): number | undefined {
    return this.has(id) ? this.#keys[id] : undefined;
  }

  /** The id with the smallest key; −1 when empty. */
  peekId(): number {
    return this.#size === 0 ? -1 : (this.#heap[0] as number);
  }

  /** The smallest key; Infinity when empty. */
  peekKey(): number {
    return this.#size === 0 ? Infinity : (this.#keys[this.#heap[0] as number] as number);
  }

  /** Inserts `id`, or moves it if already there; a key that did not change costs one comparison. */
  set(id: number, key: number): void {
    const position = this.#positions[id] as number;
    if (position < 0) {
      this.#keys[id] = key;
      this.#place(id, this.#size);
      this.#size += 1;
      this.#siftUp(this.#size - 1);
      return;
    }
    const previous = this.#keys[id] as number;
    this.#keys[id] = key;
    if (key < previous) this.#siftUp(position);
    else if (key > previous) this.#siftDown(position);
  }

  /** Removes `id` if present. */
  delete(id: number): void {
    const position = this.#positions[id] as number;
    if (position < 0) return;
    this.#positions[id] = -1;
    this.#size -= 1;
    if (position === this.#size) return;
    const last = this.#heap[this.#size] as number;
    this.#place(last, position);
    // The moved id may belong above or below its new place; at most one of these moves it.
    this.#siftUp(position);
    this.#siftDown(this.#positions[last] as number);
  }

  /** Removes and returns the id with the smallest key; −1 when empty. */
  pop(): number {
    const id = this.peekId();
    if (id >= 0) this.delete(id);
    return id;
  }

  /** Empties the heap (capacity unchanged). */
  clear(): void {
    for (let position = 0; position < this.#size; position += 1) this.#positions[this.#heap[position] as number] = -1;
    this.#size = 0;
  }

  #place(id: number, position: number): void {
    this.#heap[position] = id;
    this.#positions[id] = position;
  }

  #siftUp(start: number): void {
    const heap = this.#heap;
    const keys = this.#keys;
    const id = heap[start] as number;
    const key = keys[id] as number;
    let position = start;
    while (position > 0) {
      const parentPosition = (position - 1) >> 1;
      const parent = heap[parentPosition] as number;
      if ((keys[parent] as number) <= key) break;
      this.#place(parent, position);
      position = parentPosition;
    }
    if (position !== start) this.#place(id, position);
  }

  #siftDown(start: number): void {
    const heap = this.#heap;
    const keys = this.#keys;
    const size = this.#size;
    const id = heap[start] as number;
    const key = keys[id] as number;
    let position = start;
    for (;;) {
      let child = 2 * position + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && (keys[heap[right] as number] as number) < (keys[heap[child] as number] as number)) child = right;
      const childId = heap[child] as number;
      if ((keys[childId] as number) >= key) break;
      this.#place(childId, position);
      position = child;
    }
    if (position !== start) this.#place(id, position);
  }
}
