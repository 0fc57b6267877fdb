// Consul's blocking queries: ?index=N&wait=D hold the reply until the data's index moves past N or D (+ jitter) passes.

import type { CatalogState } from './catalog-state.js';
import { DurationSyntaxError, parseGoDurationMs } from './go-duration.js';
import { HttpError } from './http-error.js';

export const DEFAULT_BLOCKING_WAIT_MS = 5 * 60_000;
export const MAX_BLOCKING_WAIT_MS = 10 * 60_000;
/** Consul adds up to wait/16 at random so that many watchers do not all wake at once. */
export const BLOCKING_JITTER_DIVISOR = 16;

export interface BlockingParams {
  /** 0 = not a blocking query. */
  minIndex: number;
  waitMs: number;
}

/** Reads ?index and ?wait; 400 with Consul's messages when they do not parse. */
export function parseBlockingParams(query: URLSearchParams): BlockingParams {
  const indexText = query.get('index');
  let minIndex = 0;
  if (indexText !== null && indexText !== '') {
    if (!/^\d+$/.test(indexText) || !Number.isSafeInteger(Number(indexText))) {
      throw new HttpError(400, `Invalid index ${JSON.stringify(indexText)}`);
    }
    minIndex = Number(indexText);
  }

  const waitText = query.get('wait');
  let waitMs = DEFAULT_BLOCKING_WAIT_MS;
  if (waitText !== null && waitText !== '') {
    try {
      waitMs = parseGoDurationMs(waitText);
    } catch (error) {
      if (error instanceof DurationSyntaxError) throw new HttpError(400, `Invalid wait time ${JSON.stringify(waitText)}: ${error.message}`);
      throw error;
    }
    if (waitMs < 0) throw new HttpError(400, `Invalid wait time ${JSON.stringify(waitText)}: must not be negative`);
    if (waitMs === 0) waitMs = DEFAULT_BLOCKING_WAIT_MS;
  }
  return { minIndex, waitMs: Math.min(waitMs, MAX_BLOCKING_WAIT_MS) };
}

/**
 * Holds a blocking query while `indexOf()` still equals the client's index. An index from the future (a client
 * that watched a previous run of this registry) is answered at once, so the client sees the new, lower index
 * and starts over instead of hanging on data it can never get.
 */
export async function blockWhileUnchanged(
  state: CatalogState,
  indexOf: () => number,
  params: BlockingParams,
  signal: AbortSignal,
  random: () => number = Math.random,
): Promise<void> {
  if (params.minIndex === 0 || indexOf() !== params.minIndex) return;
  const jitterMs = random() * (params.waitMs / BLOCKING_JITTER_DIVISOR);
  await state.waitFor(() => indexOf() !== params.minIndex, params.waitMs + jitterMs, signal);
}
