// Flags of the live view, shared by `lbx top` and `lbx report --watch`.
import { Flags } from '@oclif/core';

export const DEFAULT_LIVE_INTERVAL_MS = 1_000;
export const MIN_LIVE_INTERVAL_MS = 100;
export const MAX_LIVE_INTERVAL_MS = 60_000;

export const liveFlags = {
  interval: Flags.integer({
    description: `Refresh interval in ms (${MIN_LIVE_INTERVAL_MS}–${MAX_LIVE_INTERVAL_MS}).`,
    default: DEFAULT_LIVE_INTERVAL_MS,
    min: MIN_LIVE_INTERVAL_MS,
    max: MAX_LIVE_INTERVAL_MS,
  }),
  count: Flags.integer({ description: 'Stop after this many refreshes (default: until q, Ctrl-C or SIGTERM).', min: 1 }),
};

/** `lbx report --watch`: the same live view as `lbx top`. */
export const watchFlag = Flags.boolean({ description: 'Watch live instead: the same view as `lbx top` (--interval, --count apply).', default: false });
