// least_load: the healthy backend with the lowest BackendLoad score, ties broken at random.
//
// The picker only reads loads. The LB records the assignment (BackendLoad.recordAssignment)
// for every policy after a successful pick, which is what raises the chosen backend's score
// before the next pick and keeps a burst from herding onto one backend (see backend-load.ts).
// Ties are broken uniformly at random: a fixed tie-break would herd like the old systems.
//
// The picker keeps the scores in an index rather than scanning them on every pick, picking
// exactly what the scan would (see least-score-picker.ts): a million picks over 1,000
// backends take a fraction of a second instead of some twenty (scripts/pick-speed.ts).

import type { BackendLoad } from '../load/backend-load.js';
import { type LoadFigure, LeastScorePicker } from './least-score-picker.js';
import type { PolicyFactory } from './policy.js';

/**
 * In look-aside mode the score counts the last report's in-flight figure plus assignments since,
 * so staleness always matters. In proxy mode the LB sees every call start and end, so the exact
 * count is the fresher signal and replaces the estimate.
 */
const LOAD_SCORE: LoadFigure = {
  read: (load: BackendLoad, nowMs: number) => (load.hasTrackedCalls ? load.inFlightExact : load.score(nowMs)),
  readsReport: (load: BackendLoad) => !load.hasTrackedCalls,
};

export const leastLoad: PolicyFactory = {
  name: 'least_load',
  shortName: 'll',
  description: 'the healthy backend with the fewest requests in flight plus assigned since its last load report',
  createPicker: (backends, deps) => new LeastScorePicker([...backends], deps, LOAD_SCORE),
};
