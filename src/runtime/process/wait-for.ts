// Bounded readiness polling: an interval, a deadline and an abort signal, ending in a named timeout error.
import { setTimeout as sleep } from 'node:timers/promises';

import { LbxError } from '../../core/lbx-error.js';

export const DEFAULT_POLL_INTERVAL_MS = 50;

export interface WaitForOptions {
  /** What is awaited, for the error message: "backend 7003". */
  readonly description: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Calls `probe` until it returns a value other than undefined, or throws a 'timeout'
 * LbxError naming what was awaited and the last error the probe threw.
 */
export async function waitFor<T>(probe: () => Promise<T | undefined>, options: WaitForOptions): Promise<T> {
  const intervalMs = options.intervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  const deadline = performance.now() + options.timeoutMs;
  let lastError = 'none';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = describeError(error);
    }
    if (performance.now() + intervalMs > deadline) break;
    await sleep(intervalMs, undefined, { signal: options.signal });
  }
  throw new LbxError('timeout', `${options.description} not ready after ${options.timeoutMs} ms (last error: ${lastError})`);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
