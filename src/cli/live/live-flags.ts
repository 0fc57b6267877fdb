// Flags of the live view, shared by `lbx top` and `lbx report --watch`.
import { Flags } from '@oclif/core';

import { durationFlag } from '../flags.js';

export const DEFAULT_LIVE_INTERVAL_MS = 1_000;
export const MIN_LIVE_INTERVAL_MS = 100;
export const MAX_LIVE_INTERVAL_MS = 60_000;

export const liveFlags = {
  interval: durationFlag({
    description: 'Refresh interval (100ms–1m).',
    defaultMs: DEFAULT_LIVE_INTERVAL_MS,
    minMs: MIN_LIVE_INTERVAL_MS,
    maxMs: MAX_LIVE_INTERVAL_MS,
  }),
  count: Flags.integer({ description: 'Stop after this many refreshes (default: until q, Ctrl-C or SIGTERM).', min: 1 }),
};

/** `lbx report --watch`: the same live view as `lbx top`. */
export const watchFlag = Flags.boolean({ description: 'Watch live instead: the same view as `lbx top` (--interval, --count apply).', default: false });
