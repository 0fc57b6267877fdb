// least_connections: the healthy backend with the fewest requests in flight, ties broken at random.
//
// "In flight" is BackendLoad.inFlight(now): exact in proxy mode, where the LB calls
// callStarted/callEnded around every forwarded request itself; in look-aside mode, the last
// fresh report plus the assignments made since (the LB records each one after a pick). So the
// picker only reads loads, and onDone stays IGNORE_OUTCOME: the counting is the LB's job, not
// the picker's, and does not depend on which policy is active.

import {
  describeUnavailable,
  IGNORE_OUTCOME,
  type PickableBackend,
  type Picker,
  type PickerDeps,
  type PickRequest,
  type PickResult,
  type PolicyFactory,
} from './policy.js';

class LeastConnectionsPicker implements Picker {
  constructor(
    private readonly backends: readonly PickableBackend[],
    private readonly deps: PickerDeps,
  ) {}

  pick(request: PickRequest): PickResult {
    const nowMs = this.deps.nowMs();
    let chosen: PickableBackend | undefined;
    let fewest = Infinity;
    let tiedCount = 0;
    // One pass; the k-th backend tied for fewest replaces the choice with probability 1/k
    // (reservoir sampling), so ties are uniform without collecting them.
    for (const backend of this.backends) {
      if (request.exclude.has(backend.address)) continue;
      const inFlight = backend.load.inFlight(nowMs);
      if (inFlight < fewest) {
        chosen = backend;
        fewest = inFlight;
        tiedCount = 1;
      } else if (inFlight === fewest) {
        tiedCount += 1;
        if (Math.floor(this.deps.random() * tiedCount) === 0) chosen = backend;
      }
    }
    if (chosen === undefined) return { kind: 'unavailable', reason: describeUnavailable(this.backends) };
    return { kind: 'backend', backend: chosen, onDone: IGNORE_OUTCOME };
  }
}

export const leastConnections: PolicyFactory = {
  name: 'least_connections',
  shortName: 'lc',
  description: 'the healthy backend with the fewest requests in flight (exact in proxy mode), ties at random',
  createPicker: (backends, deps) => new LeastConnectionsPicker([...backends], deps),
};
