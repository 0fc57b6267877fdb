// least_connections: the healthy backend with the fewest requests in flight, ties broken at random.
//
// "In flight" is BackendLoad.inFlight(now): exact in proxy mode, where the LB calls
// callStarted/callEnded around every forwarded request itself; in look-aside mode, the last
// fresh report plus the assignments made since (the LB records each one after a pick). So the
// picker only reads loads, and onDone stays IGNORE_OUTCOME: the counting is the LB's job, not
// the picker's, and does not depend on which policy is active.
//
// The picker keeps the counts in an index rather than scanning them on every pick, picking
// exactly what the scan would (see least-score-picker.ts).

import type { BackendLoad } from '../load/backend-load.js';
import { type LoadFigure, LeastScorePicker } from './least-score-picker.js';
import type { PolicyFactory } from './policy.js';

/** In proxy mode the exact count ignores reports, so only look-aside figures go stale. */
const IN_FLIGHT: LoadFigure = {
  read: (load: BackendLoad, nowMs: number) => load.inFlight(nowMs),
  readsReport: (load: BackendLoad) => !load.hasTrackedCalls,
};

export const leastConnections: PolicyFactory = {
  name: 'least_connections',
  shortName: 'lc',
  description: 'the healthy backend with the fewest requests in flight (exact in proxy mode), ties at random',
  createPicker: (backends, deps) => new LeastScorePicker([...backends], deps, IN_FLIGHT),
};
