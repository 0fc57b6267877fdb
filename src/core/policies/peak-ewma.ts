// peak_ewma: latency-aware P2C, as in Linkerd's balancer: cost = peak-EWMA latency × (in flight + 1).
//
// Two distinct random healthy backends are drawn and the cheaper one wins (see power-of-two.ts).
// The latency is BackendLoad.peakEwmaMs(now): a slow response raises it at once, it decays with
// time (see backend-load.ts). Multiplying by in flight + 1 is the expected wait of one more
// request if each waits behind those already there; the + 1 keeps an idle backend's latency
// in play instead of making every idle backend cost 0.

import type { PickableBackend, Picker, PickerDeps, PickRequest, PickResult, PolicyFactory } from './policy.js';
import { type CandidateCost, pickPowerOfTwo } from './power-of-two.js';

/**
 * Latency assumed for a backend with no sample yet. Low enough (about one CPU_HEAVY task on a
 * full-speed backend, ~30 ms) that a new backend is tried instead of starved behind measured
 * ones, high enough that it does not take all traffic before its first sample: its in-flight
 * count multiplies it like any other. linkerd2-proxy uses the same default (EWMA_DEFAULT_RTT, 30 ms).
 */
export const DEFAULT_UNKNOWN_LATENCY_MS = 30;

/**
 * Floor on the latency in the cost. A backend whose samples are all 0 ms (a clock too coarse
 * for a fast task) would otherwise cost 0 at any in-flight count and take every pick it is
 * drawn for; with a floor, in-flight counts still rank it. 1 µs is below any real latency.
 */
export const MIN_COST_LATENCY_MS = 0.001;

/** Linkerd's cost: latency estimate (or the default while unknown) × (requests in flight + 1). */
export const peakEwmaCost: CandidateCost = (backend, nowMs) => {
  const load = backend.load;
  const latencyMs = load.hasLatencySample ? load.peakEwmaMs(nowMs) : DEFAULT_UNKNOWN_LATENCY_MS;
  return Math.max(MIN_COST_LATENCY_MS, latencyMs) * (load.inFlight(nowMs) + 1);
};

class PeakEwmaPicker implements Picker {
  constructor(
    private readonly backends: readonly PickableBackend[],
    private readonly deps: PickerDeps,
  ) {}

  pick(request: PickRequest): PickResult {
    return pickPowerOfTwo(this.backends, request, this.deps, peakEwmaCost);
  }
}

export const peakEwma: PolicyFactory = {
  name: 'peak_ewma',
  shortName: 'ewma',
  description: 'two distinct random healthy backends; the lower peak-EWMA latency × (requests in flight + 1), as in Linkerd',
  createPicker: (backends, deps) => new PeakEwmaPicker([...backends], deps),
};
