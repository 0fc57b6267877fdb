// pick_first: always the first healthy backend in address order, failing over down the list.

import { describeUnavailable, IGNORE_OUTCOME, type PickableBackend, type Picker, type PickRequest, type PickResult, type PolicyFactory } from './policy.js';

// Stateless: the balancer's stable address order makes the choice repeatable.
class PickFirstPicker implements Picker {
  constructor(private readonly backends: readonly PickableBackend[]) {}

  pick(request: PickRequest): PickResult {
    for (const backend of this.backends) {
      if (!request.exclude.has(backend.address)) return { kind: 'backend', backend, onDone: IGNORE_OUTCOME };
    }
    return { kind: 'unavailable', reason: describeUnavailable(this.backends) };
  }
}

export const pickFirst: PolicyFactory = {
  name: 'pick_first',
  shortName: 'pf',
  description: 'every request to the first healthy backend (lowest address); the next one only when it fails',
  createPicker: (backends) => new PickFirstPicker([...backends]),
};
