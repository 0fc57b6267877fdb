// random: a uniformly random healthy backend, the baseline every other policy should beat.

import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickerDeps, type PickRequest, type PickResult, type PolicyFactory } from './policy.js';

// Stateless apart from the random source: one random() call per pick.
class RandomPicker implements Picker {
  constructor(
    private readonly backends: readonly PickableBackend[],
    private readonly deps: PickerDeps,
  ) {}

  pick(request: PickRequest): PickResult {
    // Exclusions are rare (a client retrying after a failure), so only then pay for a filtered copy.
    const candidates = request.exclude.size === 0 ? this.backends : this.backends.filter((backend) => !request.exclude.has(backend.address));
    if (candidates.length === 0) return { kind: 'unavailable', reason: describeUnavailable(this.backends) };
    // min(): guards a random() that returns 1.
    const index = Math.min(candidates.length - 1, Math.floor(this.deps.random() * candidates.length));
    const backend = candidates[index] as PickableBackend;
    return { kind: 'backend', backend, onDone: IGNORE_OUTCOME };
  }
}

export const random: PolicyFactory = {
  name: 'random',
  shortName: 'random',
  description: 'a uniformly random healthy backend',
  createPicker: (backends, deps) => new RandomPicker([...backends], deps),
};
