// round_robin: each healthy backend in turn, starting at a random one.

import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickerDeps, type PickRequest, type PickResult, type PolicyFactory } from './policy.js';

// Membership is fixed; only the cursor moves, as in grpc-js's RoundRobinPicker.
class RoundRobinPicker implements Picker {
  #nextIndex: number;

  constructor(
    private readonly backends: readonly PickableBackend[],
    startIndex: number,
  ) {
    this.#nextIndex = startIndex;
  }

  pick(request: PickRequest): PickResult {
    const count = this.backends.length;
    for (let step = 0; step < count; step += 1) {
      const index = (this.#nextIndex + step) % count;
      const backend = this.backends[index];
      if (backend === undefined || request.exclude.has(backend.address)) continue;
      this.#nextIndex = (index + 1) % count;
      return { kind: 'backend', backend, onDone: IGNORE_OUTCOME };
    }
    return { kind: 'unavailable', reason: describeUnavailable(this.backends) };
  }
}

// A random start keeps many balancers (or rebuilt pickers) from all hitting the first backend first.
function randomStartIndex(count: number, random: PickerDeps['random']): number {
  if (count === 0) return 0;
  return Math.min(count - 1, Math.floor(random() * count)); // min(): guards a random() that returns 1
}

export const roundRobin: PolicyFactory = {
  name: 'round_robin',
  shortName: 'rr',
  description: 'each healthy backend in turn, starting at a random one',
  createPicker: (backends, deps) => new RoundRobinPicker([...backends], randomStartIndex(backends.length, deps.random)),
};
