// send's timing flags as durations (500ms, 30s, 2m, or bare ms): each call's deadline and how long a task waits out an LB outage.
import { MAX_LB_WAIT_MS } from '../runtime/client/lb-wait.js';
import { DEFAULT_LB_WAIT_MS, DEFAULT_TIMEOUT_MS } from '../runtime/client/send-defaults.js';
import { durationFlag } from './flags.js';

/** Longest deadline of one call to a backend. */
const MAX_CALL_TIMEOUT_MS = 600_000;

export const callTimingFlags = {
  timeout: durationFlag({ description: 'Deadline of each call to a backend (1ms–10m).', minMs: 1, maxMs: MAX_CALL_TIMEOUT_MS, defaultMs: DEFAULT_TIMEOUT_MS }),
  'lb-wait': durationFlag({
    description: 'How long a task waits for an LB that is down or restarting before it fails, counted over one continuous outage (0 fails at once; up to 10m).',
    minMs: 0,
    maxMs: MAX_LB_WAIT_MS,
    defaultMs: DEFAULT_LB_WAIT_MS,
  }),
};
