// Test time bounds that stretch on a loaded machine: a hang guard must not fire because 30 other processes share 2 cores.
import os from 'node:os';

/** Never stretch a bound more than this: a real hang must still end the test. */
export const MAX_SLACK = 5;

/**
 * How much slower than an idle machine this one is now: the 1-minute load average per core, at least 1 and at
 * most MAX_SLACK. LBX_TEST_TIMEOUT_SCALE (a number ≥ 1) overrides it, e.g. for a slow CI runner.
 */
export function loadSlack(): number {
  const forced = Number(process.env.LBX_TEST_TIMEOUT_SCALE);
  if (Number.isFinite(forced) && forced >= 1) return forced;
  const perCore = os.loadavg()[0]! / Math.max(1, os.availableParallelism());
  return Math.min(MAX_SLACK, Math.max(1, perCore));
}

/** `ms` stretched by the current load slack, for timeouts and readiness deadlines (never for figures a test asserts). */
export const slackMs = (ms: number): number => Math.round(ms * loadSlack());
