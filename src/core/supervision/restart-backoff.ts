// When the supervisor starts a crashed component again: at once the first time, then backing off while it keeps crashing.
//
// A component that crashes right after each start (a bad flag, a port another program took)
// would otherwise be restarted in a tight loop, flooding its log and the LB with joins and
// exits. Like systemd's Restart= with RestartSec and Kubernetes' CrashLoopBackOff, each crash
// that comes soon after a start doubles the wait; a component that ran for STABLE_AFTER_MS
// before it crashed is considered healthy again and restarts at once.
//
// The LB and the registry are the cluster's infrastructure: every second without them fails
// or stalls every client, so they follow a gentler rule (afterInfrastructureCrash).

/** A run at least this long resets the crash streak: the component was fine until this crash. */
export const STABLE_AFTER_MS = 10_000;
/** The wait after the second quick crash in a row; it doubles with each further one. */
export const FIRST_BACKOFF_MS = 250;
export const MAX_BACKOFF_MS = 8_000;
/**
 * Infrastructure that ran this long before it crashed is restarted at once, however often it
 * crashes: an LB killed every second by `lbx chaos` is not crash-looping, and each second of
 * backoff would be a second of outage for every client.
 */
export const INFRASTRUCTURE_QUICK_CRASH_MS = 1_000;
/** The longest an infrastructure restart is ever delayed. */
export const INFRASTRUCTURE_MAX_BACKOFF_MS = 1_000;

export interface CrashStreak {
  /** Crashes in a row, each within STABLE_AFTER_MS (infrastructure: INFRASTRUCTURE_QUICK_CRASH_MS) of its start. */
  readonly crashes: number;
  /** How long to wait before the next start. */
  readonly delayMs: number;
}

/** The streak after a crash of a component that ran for `ranForMs`, given the streak before it. */
export function afterCrash(previousCrashes: number, ranForMs: number): CrashStreak {
  const crashes = ranForMs >= STABLE_AFTER_MS ? 1 : previousCrashes + 1;
  const delayMs = crashes <= 1 ? 0 : Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (crashes - 2));
  return { crashes, delayMs };
}

/**
 * The same for the LB and the registry: at once unless it crashed within
 * INFRASTRUCTURE_QUICK_CRASH_MS of its start, before it was ready, for the second time (or more)
 * in a row; then 250 ms, 500 ms, and 1 s at most. One that had become ready was not crash-looping
 * but killed: without that rule an LB killed by chaos at every other 1 s tick after a 1 s wait ran
 * 0.99 s each time, counted as quick, kept the 1 s wait, and was up 0.4 s in every 2 s (a CI run:
 * 13,577 of 20,000 tasks gave up waiting for it).
 */
export function afterInfrastructureCrash(previousCrashes: number, ranForMs: number, wasReady = false): CrashStreak {
  const crashes = wasReady || ranForMs >= INFRASTRUCTURE_QUICK_CRASH_MS ? 1 : previousCrashes + 1;
  const delayMs = crashes <= 1 ? 0 : Math.min(INFRASTRUCTURE_MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (crashes - 2));
  return { crashes, delayMs };
}
