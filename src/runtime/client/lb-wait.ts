// How a send run waits out an LB that is down or restarting: jittered exponential pauses, bounded by one budget.
//
// Pure: time and randomness come in as functions. Kept free of grpc-js so `lbx send` can
// parse --lb-wait without loading the client.
import { LbxError } from '../../core/lbx-error.js';

/** The first pause after a pick the LB could not give. */
export const LB_WAIT_INITIAL_MS = 50;
/** Pauses double up to this, so a restarted LB is found within about a second. */
export const LB_WAIT_MAX_PAUSE_MS = 1_000;
/** Longest --lb-wait accepted: 10 minutes. */
export const MAX_LB_WAIT_MS = 600_000;

/**
 * The pause before try number `retry` (1-based): 50 ms doubling to 1 s, drawn from the upper
 * half of that ("equal jitter") so clients waiting together do not return together.
 */
export function lbWaitPauseMs(retry: number, random: () => number): number {
  const ceilingMs = Math.min(LB_WAIT_MAX_PAUSE_MS, LB_WAIT_INITIAL_MS * 2 ** Math.min(Math.max(retry, 1) - 1, 20));
  return Math.round(ceilingMs / 2 + (ceilingMs / 2) * random());
}

/**
 * The run's view of an LB outage: it starts with the first pick the LB could not give and ends
 * with the next one it gives, to any request. The --lb-wait budget is for one continuous
 * outage: every request waiting gives up once the outage has lasted the budget (so an LB that
 * is gone for good fails the rest of the run within one budget), and an LB that answers in
 * between starts the count afresh (so an LB killed every second by `lbx chaos`, and back each
 * time within the budget, fails nothing, however long the chaos lasts).
 */
export class LbOutageClock {
  #startedAtMs: number | undefined;
  /** Counts outages, so a request can tell that the one it waited in has ended. */
  #outages = 0;

  constructor(
    readonly budgetMs: number,
    private readonly nowMs: () => number,
  ) {}

  get isOngoing(): boolean {
    return this.#startedAtMs !== undefined;
  }

  /** Which outage is running (or ran last): a new number after each answer from the LB. */
  get outage(): number {
    return this.#outages;
  }

  /** The LB gave a pick (or, through a proxy, a task was served): any outage is over. */
  answered(): void {
    this.#startedAtMs = undefined;
  }

  /** A try failed for want of the LB; starts the outage if none is running. Returns the time now. */
  failed(): number {
    const nowMs = this.nowMs();
    if (this.#startedAtMs === undefined) {
      this.#startedAtMs = nowMs;
      this.#outages += 1;
    }
    return nowMs;
  }

  /** When every request waiting in the current outage must give up. */
  deadlineMs(): number {
    return (this.#startedAtMs ?? this.nowMs()) + this.budgetMs;
  }
}

/** One request's pauses while it waits for the LB; they start short again in each new outage. */
export class LbWait {
  #outage = -1;
  #retries = 0;

  constructor(
    private readonly clock: LbOutageClock,
    private readonly random: () => number,
  ) {}

  /** After a try the LB could not serve: the pause before the next try, or undefined when the outage has lasted the budget. */
  nextPauseMs(): number | undefined {
    const nowMs = this.clock.failed();
    if (this.clock.outage !== this.#outage) {
      // The LB answered since this request last waited: a new outage, a new schedule.
      this.#outage = this.clock.outage;
      this.#retries = 0;
    }
    const remainingMs = this.clock.deadlineMs() - nowMs;
    if (remainingMs <= 0) return undefined;
    this.#retries += 1;
    // The last pause ends at the deadline, so the final try happens when the budget runs out.
    return Math.min(remainingMs, lbWaitPauseMs(this.#retries, this.random));
  }

  /** The LB gave this request a pick: its next wait, whenever it comes, starts short. */
  reset(): void {
    this.#outage = -1;
    this.#retries = 0;
  }
}

const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000 };

/** --lb-wait: milliseconds ("10000") or a number with a unit ("10s", "500ms", "1.5m"), from 0 to 10 minutes. */
export function parseLbWaitMs(text: string): number {
  const match = DURATION_PATTERN.exec(text.trim());
  const value = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1)) : Number.NaN;
  if (!Number.isFinite(value) || value > MAX_LB_WAIT_MS) {
    throw new LbxError('usage', `--lb-wait "${text}" is not valid: expected milliseconds (e.g. 10000) or a number with a unit ms, s or m (e.g. 10s) from 0 to 10m`);
  }
  return value;
}
