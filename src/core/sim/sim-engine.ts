// The discrete-event simulator: modelled clients and FIFO backends in simulated time, lbx's Balancer and policies picking.
//
// Backends are one-core FIFO servers, as lbx's are for CPU_HEAVY work (runtime/backend/task-executor.ts:
// one task at a time from a queue; SIMPLE ones answered at once). Events live in two of lbx's IndexedMinHeaps,
// one id per source of events, so they never hold more than backends + clients + 2 entries: one keyed by time
// (id c < clients is client c's next load update, client mode; then the LB's report round, other modes; then the
// next open-loop arrival) and one keyed by progress time for each busy backend's next completion. Requests in
// flight live in typed-array slots reused through a free list, so memory follows what is in flight, never the request count;
// latencies go into streaming histograms.
//
// Cores: with config.cores, the backends share that many cores, as processes on one machine do: while k backends
// are busy and k > cores, each runs at cores/k of its speed (processor sharing between backends; each still
// serves its own queue in FIFO order). Completions are then kept in "progress" time V, dV/dt = min(1, cores/k),
// which every busy backend shares: the order of completions in V is their order in time, and a change of k
// only changes how fast V runs, so no completion needs rescheduling. Without cores, V is simply the clock.
//
// Everything random comes from one seeded PRNG, and the clock is the event time: the same config and seed
// give the same run, pick for pick.

import { IndexedMinHeap } from '../indexed-heap.js';
import type { BackendLoad, LoadSample } from '../load/backend-load.js';
import { seededRandom } from '../random/seeded-random.js';
import { LatencyHistogram } from '../stats/latency-histogram.js';
import { LogHistogram } from './log-histogram.js';
import type { SimRunConfig } from './sim-config.js';
import { createChooser, type SimChooser } from './sim-chooser.js';
import { serviceSampler, type ServiceSampler } from './service-model.js';
import { assignSubsets, connectionCounts } from './subsetting.js';
import { summarizeSim, type SimOutcome } from './sim-outcome.js';

/** Ended requests between two progress calls. */
export const PROGRESS_EVERY = 1 << 18;

const NONE = -1;

export function runSimulation(config: SimRunConfig): SimOutcome {
  return new SimEngine(config).run();
}

class SimEngine {
  readonly #config: SimRunConfig;
  readonly #random: () => number;
  readonly #sample: ServiceSampler;
  /** Events at a time: client updates, the LB's report round, the next arrival. */
  readonly #heap: IndexedMinHeap;
  /** Each busy backend's next completion, keyed in progress time (see the header). */
  readonly #completions: IndexedMinHeap;
  #progress = 0;
  #busyCount = 0;
  #busyIntegralMs = 0;
  readonly #cores: number;
  readonly #subsets: Int32Array[];
  readonly #choosers: SimChooser[];
  /** Look-aside and proxy: the LB's load figures per backend; client mode: unused. */
  readonly #lbLoads: Array<BackendLoad | undefined>;
  #now = 0;

  // Backends.
  readonly #speeds: Float64Array;
  readonly #queueHead: Int32Array;
  readonly #queueTail: Int32Array;
  readonly #inSystem: Int32Array;
  readonly #served: Float64Array;
  readonly #backendLatency: LogHistogram[];

  // Request slots (grown by doubling).
  #slotArrivedAt = new Float64Array(1_024);
  #slotClient = new Int32Array(1_024);
  #slotNext = new Int32Array(1_024);
  #slotMeasured = new Uint8Array(1_024);
  #freeSlot = NONE;
  #slotCount = 0;

  // Look-aside: ends waiting for their client's next pick (a list per client through #slotNext) and the backend each ran on.
  #slotBackend = new Int32Array(1_024);
  readonly #pendingEnds: Int32Array;

  // Counting.
  #started = 0;
  #ended = 0;
  #measured = 0;
  #latencySumMs = 0;
  #unavailable = 0;
  #lastEndMs = 0;
  #firstMeasuredAtMs = NaN;
  readonly #latency = new LatencyHistogram();

  // Ids in the heap.
  readonly #arrivalId: number;
  readonly #reportRoundId: number;

  constructor(config: SimRunConfig) {
    this.#config = config;
    const { backends, clients } = config;
    this.#random = seededRandom(config.seed);
    this.#sample = serviceSampler(config.service);
    this.#reportRoundId = clients;
    this.#arrivalId = clients + 1;
    this.#heap = new IndexedMinHeap(clients + 2);
    this.#completions = new IndexedMinHeap(backends);
    this.#cores = config.cores ?? Infinity;
    this.#speeds = Float64Array.from(config.speeds);
    this.#queueHead = new Int32Array(backends).fill(NONE);
    this.#queueTail = new Int32Array(backends).fill(NONE);
    this.#inSystem = new Int32Array(backends);
    this.#served = new Float64Array(backends);
    this.#backendLatency = Array.from({ length: backends }, () => new LogHistogram());
    this.#pendingEnds = new Int32Array(clients).fill(NONE);
    const deps = { random: this.#random, nowMs: () => this.#now };
    const chooserOf = (members: Int32Array): SimChooser =>
      createChooser({ policy: config.policy, policyConfig: config.policyConfig, members, deps, staleAfterMs: 3 * config.updateIntervalMs });
    const isClientSide = config.mode === 'client';
    this.#subsets = isClientSide ? assignSubsets(config.subset, clients, backends, config.seed) : [Int32Array.from({ length: backends }, (_, index) => index)];
    this.#choosers = this.#subsets.map(chooserOf);
    const lb = this.#choosers[0] as SimChooser;
    this.#lbLoads = isClientSide ? [] : Array.from({ length: backends }, (_, backend) => lb.loadOf(backend));
  }

  run(): SimOutcome {
    this.#start();
    const heap = this.#heap;
    const completions = this.#completions;
    const backends = this.#config.backends;
    const clients = this.#config.clients;
    while (heap.size > 0 || completions.size > 0) {
      const rate = this.#progressRate();
      const completionAt = completions.size > 0 ? this.#now + (completions.peekKey() - this.#progress) / rate : Infinity;
      const eventAt = heap.size > 0 ? heap.peekKey() : Infinity;
      if (completionAt <= eventAt) {
        this.#advanceTo(completionAt, rate);
        this.#complete(completions.pop());
        continue;
      }
      this.#advanceTo(eventAt, rate);
      const id = heap.pop();
      if (id < clients) {
        this.#updateClient(id);
        this.#scheduleUpdate(id);
      } else if (id === this.#reportRoundId) this.#reportToLb();
      else this.#openArrival();
    }
    const connections = this.#config.mode === 'client' ? connectionCounts(this.#subsets, backends) : undefined;
    return summarizeSim({
      config: this.#config,
      ended: this.#ended,
      measured: this.#measured,
      latency: this.#latency,
      latencySumMs: this.#latencySumMs,
      firstMeasuredAtMs: this.#firstMeasuredAtMs,
      lastEndMs: this.#lastEndMs,
      served: this.#served,
      busyMs: this.#busyIntegralMs,
      backendLatency: this.#backendLatency,
      unavailable: this.#unavailable,
      connections,
      path: (this.#choosers[0] as SimChooser).path,
      slots: this.#slotCount,
    });
  }

  #start(): void {
    const config = this.#config;
    if (config.initialQueue) this.#fillQueues(config.initialQueue);
    if (config.mode === 'client') {
      // Staggered, so clients do not all refresh at the same instant; each hears once before its first pick.
      for (let client = 0; client < config.clients; client += 1) {
        this.#updateClient(client);
        this.#heap.set(client, ((client + 1) / config.clients) * config.updateIntervalMs);
      }
    } else {
      this.#heap.set(this.#reportRoundId, config.updateIntervalMs);
    }
    const arrival = config.arrival;
    if (arrival.kind === 'closed') {
      const first = Math.min(arrival.concurrency, config.requests);
      for (let worker = 0; worker < first; worker += 1) this.#arrive(worker % config.clients);
    } else {
      this.#heap.set(this.#arrivalId, this.#nextArrivalGapMs());
    }
  }

  /** Unmeasured tasks already queued at time 0 (and, for an LB that tracks calls, already in flight to it). */
  #fillQueues(initialQueue: (backend: number, random: () => number) => number): void {
    for (let backend = 0; backend < this.#config.backends; backend += 1) {
      const count = initialQueue(backend, this.#random);
      for (let task = 0; task < count; task += 1) {
        const client = Math.min(this.#config.clients - 1, Math.floor(this.#random() * this.#config.clients));
        this.#lbLoads[backend]?.callStarted();
        this.#enqueue(backend, this.#newSlot(client, false));
      }
    }
  }

  #nextArrivalGapMs(): number {
    const arrival = this.#config.arrival;
    const rate = arrival.kind === 'burst' ? arrival.ratePerMs / arrival.size : arrival.kind === 'poisson' ? arrival.ratePerMs : 0;
    return -Math.log(1 - this.#random()) / rate;
  }

  #openArrival(): void {
    const config = this.#config;
    const size = config.arrival.kind === 'burst' ? config.arrival.size : 1;
    for (let index = 0; index < size && this.#mayStart(); index += 1) {
      this.#arrive(Math.min(config.clients - 1, Math.floor(this.#random() * config.clients)));
    }
    if (this.#mayStart()) this.#heap.set(this.#arrivalId, this.#now + this.#nextArrivalGapMs());
  }

  #mayStart(): boolean {
    return this.#started < this.#config.requests && this.#now <= this.#config.durationMs;
  }

  /** One request from `client`: picked (its pending ends told first, in look-aside), then queued or answered. */
  #arrive(client: number): void {
    const config = this.#config;
    if (!this.#mayStart()) return;
    const isMeasured = this.#started >= config.warmupRequests;
    this.#started += 1;
    if (config.mode === 'lookaside') this.#reportPendingEnds(client);
    const chooser = (config.mode === 'client' ? this.#choosers[client] : this.#choosers[0]) as SimChooser;
    const backend = chooser.pick();
    if (backend === NONE) {
      // No backend: the request ends at once, unanswered (only with an empty membership).
      this.#unavailable += 1;
      this.#ended += 1;
      return;
    }
    const slot = this.#newSlot(client, isMeasured);
    this.#slotBackend[slot] = backend;
    if (config.mode !== 'client') this.#lbLoads[backend]?.callStarted();
    if (config.simpleShare > 0 && this.#random() < config.simpleShare) {
      this.#finish(slot, backend);
      return;
    }
    this.#enqueue(backend, slot);
  }

  #enqueue(backend: number, slot: number): void {
    this.#slotNext[slot] = NONE;
    this.#inSystem[backend] = (this.#inSystem[backend] as number) + 1;
    const tail = this.#queueTail[backend] as number;
    this.#queueTail[backend] = slot;
    if (tail !== NONE) {
      this.#slotNext[tail] = slot;
      return;
    }
    this.#queueHead[backend] = slot;
    this.#busyCount += 1;
    this.#beginService(backend);
  }

  /** The next task's work, in ms of a core of its own: its completion in progress time. */
  #beginService(backend: number): void {
    const serviceMs = this.#sample(this.#random) / (this.#speeds[backend] as number);
    this.#completions.set(backend, this.#progress + serviceMs);
  }

  /** How fast progress time runs now: 1, or cores / busy backends when they outnumber the cores. */
  #progressRate(): number {
    return this.#busyCount > this.#cores ? this.#cores / this.#busyCount : 1;
  }

  #advanceTo(timeMs: number, rate: number): void {
    const elapsedMs = timeMs - this.#now;
    this.#progress += elapsedMs * rate;
    this.#busyIntegralMs += elapsedMs * this.#busyCount;
    this.#now = timeMs;
  }

  /** The task at the head of `backend`'s queue is done; the next one starts. */
  #complete(backend: number): void {
    const slot = this.#queueHead[backend] as number;
    const next = this.#slotNext[slot] as number;
    this.#queueHead[backend] = next;
    this.#inSystem[backend] = (this.#inSystem[backend] as number) - 1;
    if (next === NONE) {
      this.#queueTail[backend] = NONE;
      this.#busyCount -= 1;
    } else this.#beginService(backend);
    this.#finish(slot, backend);
  }

  /** A request's answer reaches its client: measured, told to whoever balances, and (closed loop) the next one sent. */
  #finish(slot: number, backend: number): void {
    const config = this.#config;
    const client = this.#slotClient[slot] as number;
    const latencyMs = this.#now - (this.#slotArrivedAt[slot] as number);
    this.#ended += 1;
    this.#lastEndMs = this.#now;
    if (this.#slotMeasured[slot] === 1) this.#measure(backend, latencyMs);
    if (config.mode === 'proxy') {
      this.#lbLoads[backend]?.callEnded(latencyMs, this.#now);
      this.#freeSlotOf(slot);
    } else if (config.mode === 'lookaside') {
      // The LB hears of it with the client's next pick; the slot waits until then.
      this.#slotArrivedAt[slot] = latencyMs;
      this.#slotNext[slot] = this.#pendingEnds[client] as number;
      this.#pendingEnds[client] = slot;
    } else {
      this.#choosers[client]?.loadOf(backend)?.recordLatency(latencyMs, this.#now);
      this.#freeSlotOf(slot);
    }
    if ((this.#ended & (PROGRESS_EVERY - 1)) === 0) config.onProgress?.({ ended: this.#ended, total: config.requests, simulatedMs: this.#now });
    if (config.arrival.kind === 'closed') this.#arrive(client);
  }

  #measure(backend: number, latencyMs: number): void {
    if (this.#measured === 0) this.#firstMeasuredAtMs = this.#now;
    this.#measured += 1;
    this.#latencySumMs += latencyMs;
    this.#served[backend] = (this.#served[backend] as number) + 1;
    this.#latency.recordMicros(latencyMs * 1_000);
    (this.#backendLatency[backend] as LogHistogram).record(latencyMs);
  }

  /** Look-aside: the client's next pick carries the ends of its earlier calls (lbx's PickDone), with their latencies. */
  #reportPendingEnds(client: number): void {
    let slot = this.#pendingEnds[client] as number;
    if (slot === NONE) return;
    this.#pendingEnds[client] = NONE;
    while (slot !== NONE) {
      const next = this.#slotNext[slot] as number;
      this.#lbLoads[this.#slotBackend[slot] as number]?.callEnded(this.#slotArrivedAt[slot], this.#now);
      this.#freeSlotOf(slot);
      slot = next;
    }
  }

  /** Client mode: one client hears every backend of its subset's in-flight count, as of now. */
  #updateClient(client: number): void {
    const chooser = this.#choosers[client] as SimChooser;
    for (const backend of this.#subsets[client] as Int32Array) chooser.loadOf(backend)?.recordReport(this.#loadSample(backend), this.#now);
  }

  /** Look-aside and proxy: every backend reports to the LB (lbx backends do, every report interval). */
  #reportToLb(): void {
    for (let backend = 0; backend < this.#config.backends; backend += 1) this.#lbLoads[backend]?.recordReport(this.#loadSample(backend), this.#now);
    this.#scheduleUpdate(this.#reportRoundId);
  }

  /** Updates repeat while requests are yet to start or still in flight: once all have ended, the run is over. */
  #scheduleUpdate(id: number): void {
    if (this.#ended < this.#started || this.#mayStart()) this.#heap.set(id, this.#now + this.#config.updateIntervalMs);
  }

  #loadSample(backend: number): LoadSample {
    const inFlight = this.#inSystem[backend] as number;
    return { inFlight, queueDepth: Math.max(0, inFlight - 1), cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: 0, rssBytes: 0 };
  }

  #newSlot(client: number, isMeasured: boolean): number {
    let slot = this.#freeSlot;
    if (slot === NONE) {
      if (this.#slotCount === this.#slotArrivedAt.length) this.#growSlots();
      slot = this.#slotCount;
      this.#slotCount += 1;
    } else {
      this.#freeSlot = this.#slotNext[slot] as number;
    }
    this.#slotArrivedAt[slot] = this.#now;
    this.#slotClient[slot] = client;
    this.#slotMeasured[slot] = isMeasured ? 1 : 0;
    return slot;
  }

  #freeSlotOf(slot: number): void {
    this.#slotNext[slot] = this.#freeSlot;
    this.#freeSlot = slot;
  }

  #growSlots(): void {
    const size = this.#slotArrivedAt.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(old: T, make: (length: number) => T): T => {
      const grown = make(size);
      grown.set(old);
      return grown;
    };
    this.#slotArrivedAt = grow(this.#slotArrivedAt, (length) => new Float64Array(length));
    this.#slotClient = grow(this.#slotClient, (length) => new Int32Array(length));
    this.#slotNext = grow(this.#slotNext, (length) => new Int32Array(length));
    this.#slotMeasured = grow(this.#slotMeasured, (length) => new Uint8Array(length));
    this.#slotBackend = grow(this.#slotBackend, (length) => new Int32Array(length));
  }
}
