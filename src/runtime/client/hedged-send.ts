// Hedging (gRPC A6) for one task: a first attempt, then another on a different backend each time the hedging delay
// passes without an answer, up to maxAttempts in all. The first answer wins and the others are cancelled; a
// retryable failure starts the next attempt at once; a fatal one ends the task. Only the orchestration is here:
// the session's attempt function picks, calls and records, and its gate makes sure one answer only is counted ok.
import { setTimeout as sleep } from 'node:timers/promises';

/** How one attempt ended, as the session sees it. */
export type HedgedOutcome = { readonly kind: 'ok' } | { readonly kind: 'retry' | 'final' | 'wait-for-lb'; readonly reason: string };

/** What an attempt gets: cancelled once another attempt has won; `commit` is true for the first answer only. */
export interface HedgeGate {
  readonly signal: AbortSignal;
  commit(): boolean;
}

export interface HedgeOptions {
  readonly delayMs: number;
  readonly maxAttempts: number;
  readonly isStopping: () => boolean;
  /** An attempt beyond the first starts (a hedge). */
  readonly onHedge: () => void;
}

export type HedgedEnd = { readonly kind: 'ok' } | { readonly kind: 'failed'; readonly reason: string };

/** Runs attempts until one answers or all have failed; resolves once every attempt it started has ended. */
export async function runHedged(attempt: (gate: HedgeGate) => Promise<HedgedOutcome>, options: HedgeOptions): Promise<HedgedEnd> {
  const abort = new AbortController();
  let isCommitted = false;
  const gate: HedgeGate = {
    signal: abort.signal,
    commit: () => {
      if (isCommitted) return false;
      isCommitted = true;
      return true;
    },
  };
  const running = new Map<number, Promise<{ readonly id: number; readonly outcome: HedgedOutcome }>>();
  let launched = 0;
  let lastFailure = 'no attempt was made';
  const launch = (): void => {
    const id = launched;
    launched += 1;
    if (id > 0) options.onHedge();
    running.set(
      id,
      attempt(gate).then((outcome) => ({ id, outcome })),
    );
  };
  launch();
  for (;;) {
    const canHedge = launched < options.maxAttempts && !options.isStopping();
    const timer = new AbortController();
    const hedgeDue = canHedge
      ? sleep(options.delayMs, undefined, { signal: timer.signal }).then(
          () => undefined,
          () => undefined,
        )
      : new Promise<undefined>(() => undefined);
    const ended = await Promise.race([...running.values(), hedgeDue]);
    timer.abort();
    if (ended === undefined) {
      launch();
      continue;
    }
    running.delete(ended.id);
    if (ended.outcome.kind === 'ok') return settle(abort, running, { kind: 'ok' });
    lastFailure = ended.outcome.reason;
    if (ended.outcome.kind === 'final') return settle(abort, running, { kind: 'failed', reason: lastFailure });
    // A retryable failure: the next hedge goes out at once, as gRPC does.
    if (launched < options.maxAttempts && !options.isStopping()) launch();
    else if (running.size === 0) return { kind: 'failed', reason: lastFailure };
  }
}

/** Cancels the attempts still running and waits for them, so their outcomes are recorded before the task's end is. */
async function settle(abort: AbortController, running: ReadonlyMap<number, Promise<unknown>>, end: HedgedEnd): Promise<HedgedEnd> {
  abort.abort();
  await Promise.allSettled(running.values());
  return end;
}
