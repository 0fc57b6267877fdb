// The picker behind least_load and least_connections: the backend with the lowest load figure, ties uniformly at random, found in O(log n) instead of a scan.
//
// What it picks is exactly what a scan of every backend's figure at the pick's nowMs would
// pick: a backend with the lowest figure, uniformly among those tied (the scan's reservoir
// sampling is uniform too; only which random() draws decide it differs). It keeps that exact by
// keeping every slot's figure in ScoreBuckets equal to figure(load, nowMs) at each pick:
//
// - Changes: each BackendLoad tells this picker (its one watcher, see backend-load.ts) when a
//   figure moves — an assignment, a report, a call started or ended — and the slot is queued;
//   the pick re-reads queued slots at its own nowMs, so an assignment after a pick costs O(1)
//   then and O(log d) at the next pick.
// - Time: the only way a figure changes without a call is a report going stale, which happens
//   when nowMs - lastReportAtMs first exceeds staleAfterMs. Slots with a fresh report sit in a
//   heap keyed by lastReportAtMs + staleAfterMs; a pick re-reads every slot whose key is ≤ nowMs.
//   That key is a rounded sum, so it can sit a hair before the exact moment; such a slot is read,
//   found still fresh, and stays queued — never read late, since stale ⇒ key ≤ nowMs in floating
//   point too (rounding is monotone). Staleness only goes one way while the clock moves forward;
//   a clock that reads earlier than the last pick (deps promise a monotonic one) re-reads all.
// - Cases kept on the plain scan: a pick with exclusions (a client retrying after a failure: rare,
//   and the scan is exact by construction); and a picker that lost its loads to a newer picker
//   (pickers are rebuilt on membership change; only the newest is used) or was given one load
//   twice, since it would no longer hear of every change.
//
// The cost per pick is then one clock read, the queued re-reads (usually one: the previous
// pick's assignment), a peek at the expiry heap, and one random() when more than one backend
// ties for lowest. Building the picker is O(n); its first pick reads all n figures.

import { IndexedMinHeap } from '../indexed-heap.js';
import type { BackendLoad, LoadWatcher } from '../load/backend-load.js';
import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickerDeps, type PickRequest, type PickResult } from './policy.js';
import { ScoreBuckets } from './score-buckets.js';

/** The figure a least-* policy minimises, and when it depends on the age of the last report. */
export interface LoadFigure {
  /** Lower is better; must depend only on the load's state and, through report staleness, on nowMs. */
  read(load: BackendLoad, nowMs: number): number;
  /** True when read() counts the last report's in-flight figure, which staleness drops after staleAfterMs. */
  readsReport(load: BackendLoad): boolean;
}

export class LeastScorePicker implements Picker, LoadWatcher {
  readonly #backends: readonly PickableBackend[];
  readonly #deps: PickerDeps;
  readonly #figure: LoadFigure;
  readonly #buckets: ScoreBuckets;
  /** Slots whose report was fresh when last read, keyed by lastReportAtMs + staleAfterMs. */
  readonly #expiries: IndexedMinHeap;
  /** Slots to re-read at the next pick (a stack), and a flag per slot so each is queued once. */
  readonly #queued: Int32Array;
  readonly #isQueued: Uint8Array;
  #queuedCount = 0;
  /** Scratch for the slots whose expiry key has come. */
  readonly #expiring: Int32Array;
  /** False once the index can no longer be trusted (see the header): every pick scans. */
  #isIndexed = true;
  /** The clock at the last index update; −Infinity before the first. */
  #indexedAtMs = -Infinity;

  constructor(backends: readonly PickableBackend[], deps: PickerDeps, figure: LoadFigure) {
    this.#backends = backends;
    this.#deps = deps;
    this.#figure = figure;
    const count = backends.length;
    this.#buckets = new ScoreBuckets(count);
    this.#expiries = new IndexedMinHeap(count);
    this.#queued = new Int32Array(count);
    this.#isQueued = new Uint8Array(count);
    this.#expiring = new Int32Array(count);
    // Every slot starts queued: the first pick reads them all at its own nowMs (the picker reads
    // the clock only in pick(), once per pick).
    for (let slot = 0; slot < count; slot += 1) this.loadChanged(slot);
    for (let slot = 0; slot < count; slot += 1) {
      const isFirstWatch = (backends[slot] as PickableBackend).load.watch(this, slot);
      if (!isFirstWatch) this.#stopIndexing();
    }
  }

  pick(request: PickRequest): PickResult {
    const nowMs = this.#deps.nowMs();
    if (!this.#isIndexed || request.exclude.size > 0) return this.#scan(request, nowMs);
    this.#update(nowMs);
    const lowest = this.#buckets.lowest();
    const tiedCount = lowest.length;
    if (tiedCount === 0) return { kind: 'unavailable', reason: describeUnavailable(this.#backends) };
    // min(): guards a random() that returns 1.
    const slot = tiedCount === 1 ? (lowest[0] as number) : (lowest[Math.min(tiedCount - 1, Math.floor(this.#deps.random() * tiedCount))] as number);
    return { kind: 'backend', backend: this.#backends[slot] as PickableBackend, onDone: IGNORE_OUTCOME };
  }

  /** LoadWatcher: queue the slot to be re-read at the next pick. */
  loadChanged(slot: number): void {
    if (this.#isQueued[slot] === 1) return;
    this.#isQueued[slot] = 1;
    this.#queued[this.#queuedCount] = slot;
    this.#queuedCount += 1;
  }

  /** LoadWatcher: a newer picker took one of the loads; scan from now on and let go of the others. */
  unwatched(): void {
    this.#stopIndexing();
  }

  /** True while picks use the index (for tests: false after a newer picker took a load over). */
  get isIndexed(): boolean {
    return this.#isIndexed;
  }

  #stopIndexing(): void {
    if (!this.#isIndexed) return;
    this.#isIndexed = false;
    for (const backend of this.#backends) backend.load.unwatch(this);
  }

  // Brings every slot's figure to its value at nowMs (see the header for why this is exact).
  #update(nowMs: number): void {
    // `!(a >= b)` rather than `a < b`: a NaN clock re-reads everything, as a scan would.
    if (!(nowMs >= this.#indexedAtMs)) {
      for (let slot = 0; slot < this.#backends.length; slot += 1) this.loadChanged(slot);
    }
    this.#indexedAtMs = nowMs;
    while (this.#queuedCount > 0) {
      this.#queuedCount -= 1;
      const slot = this.#queued[this.#queuedCount] as number;
      this.#isQueued[slot] = 0;
      this.#read(slot, nowMs);
    }
    const expiries = this.#expiries;
    if (!(expiries.peekKey() <= nowMs)) return;
    // Take all that are due first, then read them: a read may put a slot straight back (still
    // fresh by a rounding hair), and it must wait for a later pick rather than loop here.
    let dueCount = 0;
    while (expiries.peekKey() <= nowMs) {
      this.#expiring[dueCount] = expiries.pop();
      dueCount += 1;
    }
    for (let index = 0; index < dueCount; index += 1) this.#read(this.#expiring[index] as number, nowMs);
  }

  #read(slot: number, nowMs: number): void {
    const load = (this.#backends[slot] as PickableBackend).load;
    this.#buckets.set(slot, this.#figure.read(load, nowMs));
    if (this.#figure.readsReport(load) && load.isReportFresh(nowMs)) {
      this.#expiries.set(slot, (load.lastReportAtMs as number) + load.staleAfterMs);
    } else {
      this.#expiries.delete(slot);
    }
  }

  // The plain scan: one pass; among equal figures the k-th tied replaces the choice with
  // probability 1/k (reservoir sampling), so ties are uniform without collecting them.
  #scan(request: PickRequest, nowMs: number): PickResult {
    let chosen: PickableBackend | undefined;
    let lowest = Infinity;
    let tiedCount = 0;
    for (const backend of this.#backends) {
      if (request.exclude.has(backend.address)) continue;
      const figure = this.#figure.read(backend.load, nowMs);
      if (figure < lowest) {
        chosen = backend;
        lowest = figure;
        tiedCount = 1;
      } else if (figure === lowest) {
        tiedCount += 1;
        if (Math.floor(this.#deps.random() * tiedCount) === 0) chosen = backend;
      }
    }
    if (chosen === undefined) return { kind: 'unavailable', reason: describeUnavailable(this.#backends) };
    return { kind: 'backend', backend: chosen, onDone: IGNORE_OUTCOME };
  }
}
