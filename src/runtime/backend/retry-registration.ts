// A backend's start-up registration (registry, then LB), tried again with backoff until its deadline.
//
// On a loaded machine a single 2 s deadline is not enough: `up --backends 64` on two cores
// had backends exit on their first RegisterServer timeout, and the cluster never came up.
// Each call keeps its own deadline (2 s, then 4 s, then 8 s: a wedged peer must not hold a try
// for long); the attempts go on, 100 ms doubling to 2 s apart with jitter, until the start-up deadline.
import { Status as GrpcStatus } from '../grpc/status.js';

import { LbxError } from '../../core/lbx-error.js';
import { isServiceError } from '../grpc/status-errors.js';
import { describeError } from '../process/wait-for.js';

export const REGISTER_FIRST_PAUSE_MS = 100;
export const REGISTER_MAX_PAUSE_MS = 2_000;

/** Answers no later try can change: the request itself is refused. */
const HOPELESS: ReadonlySet<number> = new Set([GrpcStatus.INVALID_ARGUMENT, GrpcStatus.UNAUTHENTICATED, GrpcStatus.PERMISSION_DENIED, GrpcStatus.UNIMPLEMENTED]);

export interface RetryOptions {
  /** When to stop trying, on the `nowMs` clock. */
  readonly deadlineMs: number;
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Told once, at the first failure, that tries go on (runtime code does not print). */
  readonly onFirstFailure: (message: string) => void;
}

/** The pause before try `retry + 1`: 100 ms doubling to 2 s, drawn from the upper half so 64 backends do not return together. */
export function registerPauseMs(retry: number, random: () => number): number {
  const ceilingMs = Math.min(REGISTER_MAX_PAUSE_MS, REGISTER_FIRST_PAUSE_MS * 2 ** Math.min(Math.max(retry, 1) - 1, 20));
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * random());
}

/**
 * The deadline of try number `tries` of one call: `firstMs`, doubling to 4 times that. A peer (or
 * this very process) too busy to answer in 2 s gets longer each time, instead of a new copy of
 * the same request every 2 s, each abandoned just before it would have been answered.
 */
export const tryTimeoutMs = (firstMs: number, tries: number): number => firstMs * 2 ** Math.min(Math.max(tries, 1) - 1, 2);

/** Runs `attempt` (told which try it is) until it succeeds; throws a 'timeout' LbxError naming `what`, the tries and the last error once the deadline has passed. */
export async function retryRegistration<T>(what: string, attempt: (tries: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const startedAtMs = options.nowMs();
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt(tries);
    } catch (error) {
      if (isServiceError(error) && HOPELESS.has(error.code)) throw error;
      const remainingMs = options.deadlineMs - options.nowMs();
      if (remainingMs <= 0) {
        const elapsedMs = Math.round(options.nowMs() - startedAtMs);
        throw new LbxError('timeout', `${what} failed ${tries} times in ${elapsedMs} ms, until the start-up deadline (last error: ${describeError(error)})`);
      }
      if (tries === 1) options.onFirstFailure(`${what} failed (${describeError(error)}); trying again with backoff until the start-up deadline`);
      await options.sleep(Math.min(remainingMs, registerPauseMs(tries, options.random)));
    }
  }
}
