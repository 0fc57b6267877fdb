// least_load: the healthy backend with the lowest BackendLoad score, ties broken at random.
//
// The picker only reads loads. The LB records the assignment (BackendLoad.recordAssignment)
// for every policy after a successful pick, which is what raises the chosen backend's score
// before the next pick and keeps a burst from herding onto one backend (see backend-load.ts).

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

class LeastLoadPicker implements Picker {
  constructor(
    private readonly backends: readonly PickableBackend[],
    private readonly deps: PickerDeps,
  ) {}

  pick(request: PickRequest): PickResult {
    const nowMs = this.deps.nowMs();
    let chosen: PickableBackend | undefined;
    let lowestScore = Infinity;
    let tiedCount = 0;
    // One pass; among equal scores each is kept with probability 1/tiedCount (reservoir sampling),
    // so ties are uniform without collecting them. A fixed tie-break would herd like the old systems.
    for (const backend of this.backends) {
      if (request.exclude.has(backend.address)) continue;
      const score = backend.load.score(nowMs);
      if (score < lowestScore) {
        chosen = backend;
        lowestScore = score;
        tiedCount = 1;
      } else if (score === lowestScore) {
        tiedCount += 1;
        if (Math.floor(this.deps.random() * tiedCount) === 0) chosen = backend;
      }
    }
    if (chosen === undefined) return { kind: 'unavailable', reason: describeUnavailable(this.backends) };
    return { kind: 'backend', backend: chosen, onDone: IGNORE_OUTCOME };
  }
}

export const leastLoad: PolicyFactory = {
  name: 'least_load',
  shortName: 'll',
  description: 'the healthy backend with the fewest requests in flight plus assigned since its last load report',
  createPicker: (backends, deps) => new LeastLoadPicker([...backends], deps),
};
