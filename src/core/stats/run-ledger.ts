// The accounting of one `lbx send` run: every request ends exactly once, ok or failed.

import { LatencyHistogram, type LatencySummaryMs } from './latency-histogram.js';
import { compareAddresses } from '../address-order.js';

export interface BackendRunSummary {
  address: string;
  ok: number;
  /** This backend's part of all ok requests, 0..1 (0 when nothing succeeded). */
  share: number;
  /** Attempts that failed at this backend, whether or not a retry then succeeded. */
  errors: number;
  /** Of `errors`, attempts the client stopped waiting for (its deadline, or a hedge answered first elsewhere): the backend may still have served them (absent in older runs). */
  timeouts?: number;
  latencyMs: { p50: number; p99: number };
}

export interface RunSummary {
  /** Always ok + failed: a request counts once it has ended. */
  sent: number;
  ok: number;
  failed: number;
  /** Extra attempts made after a failed one. */
  retried: number;
  /** Extra attempts made because the first had not answered within the hedging delay (send --hedge; absent without). */
  hedged?: number;
  /** Why requests ended failed, most frequent first. */
  failuresByReason: Record<string, number>;
  /** Why single attempts failed (retried or not), most frequent first. */
  attemptFailuresByReason: Record<string, number>;
  /** Failed attempts the client could not pin on a backend (through a proxy, the LB's answer). */
  attemptFailuresWithoutBackend: number;
  elapsedMs: number;
  /** Ended requests (ok or failed) per second of elapsedMs. */
  throughputPerSec: number;
  /** Every ended request, ok or failed, from its first attempt to its end. */
  latencyMs: LatencySummaryMs;
  /** Sorted by port number (addresses are host:port). */
  backends: BackendRunSummary[];
}

export interface ReconcileRow {
  address: string;
  clientOk: number;
  backendServed: number;
  /** clientOk − backendServed: positive when the client counted more than the backend did. */
  difference: number;
  /** Attempts clients saw fail at this backend: the most answers a crash can have lost there. */
  failedAttempts: number;
  /** Tasks served whose answer never reached the client (lost in a crash), when that explains the difference. */
  lostAnswers: number;
  /** Tasks served after the client's deadline for them had passed (it retried elsewhere): late, not lost in a crash. */
  lateAnswers: number;
}

export interface Reconciliation {
  matches: boolean;
  rows: ReconcileRow[];
}

interface BackendTally {
  ok: number;
  errors: number;
  timeouts: number;
  readonly latency: LatencyHistogram;
}

export class RunLedger {
  #ok = 0;
  #failed = 0;
  #retried = 0;
  #hedged = 0;
  #attemptFailuresWithoutBackend = 0;
  readonly #failuresByReason = new Map<string, number>();
  readonly #attemptFailuresByReason = new Map<string, number>();
  readonly #latency = new LatencyHistogram();
  readonly #backends = new Map<string, BackendTally>();

  /** Requests that have ended failed so far (for progress lines). */
  get failedCount(): number {
    return this.#failed;
  }

  /** The request ended ok at this backend. */
  recordOk(backendAddress: string, latencyMicros: number): void {
    this.#ok += 1;
    this.#latency.recordMicros(latencyMicros);
    const tally = this.#tally(backendAddress);
    tally.ok += 1;
    tally.latency.recordMicros(latencyMicros);
  }

  /** One attempt failed at this backend; the request will be retried or recorded failed. */
  /** `backendAddress` is undefined when the client cannot know which backend failed (through a proxy). */
  /** `mayBeServed`: the client stopped waiting (its deadline, or a hedge won elsewhere), so the backend may still serve it, late. */
  recordAttemptFailure(backendAddress: string | undefined, reason: string, options: { mayBeServed?: boolean } = {}): void {
    if (backendAddress !== undefined) {
      const tally = this.#tally(backendAddress);
      tally.errors += 1;
      if (options.mayBeServed) tally.timeouts += 1;
    } else this.#attemptFailuresWithoutBackend += 1;
    increment(this.#attemptFailuresByReason, reason);
  }

  recordRetry(): void {
    this.#retried += 1;
  }

  /** A hedged attempt started (the task's earlier ones had not answered in time). */
  recordHedge(): void {
    this.#hedged += 1;
  }

  /** The request ended failed. */
  recordFailed(reason: string, latencyMicros: number): void {
    this.#failed += 1;
    increment(this.#failuresByReason, reason);
    this.#latency.recordMicros(latencyMicros);
  }

  summary(elapsedMs: number): RunSummary {
    const sent = this.#ok + this.#failed;
    const backends = [...this.#backends.entries()]
      .sort(([a], [b]) => compareAddresses(a, b))
      .map(([address, tally]) => {
        const { p50, p99 } = tally.latency.summaryMs();
        const share = this.#ok === 0 ? 0 : tally.ok / this.#ok;
        return { address, ok: tally.ok, share, errors: tally.errors, timeouts: tally.timeouts, latencyMs: { p50, p99 } };
      });
    return {
      sent,
      ok: this.#ok,
      failed: this.#failed,
      retried: this.#retried,
      ...(this.#hedged > 0 ? { hedged: this.#hedged } : {}),
      failuresByReason: toRankedRecord(this.#failuresByReason),
      attemptFailuresByReason: toRankedRecord(this.#attemptFailuresByReason),
      attemptFailuresWithoutBackend: this.#attemptFailuresWithoutBackend,
      elapsedMs,
      throughputPerSec: elapsedMs > 0 ? Math.round((sent / elapsedMs) * 1_000 * 1_000) / 1_000 : 0,
      latencyMs: this.#latency.summaryMs(),
      backends,
    };
  }

  #tally(address: string): BackendTally {
    let tally = this.#backends.get(address);
    if (tally === undefined) {
      tally = { ok: 0, errors: 0, timeouts: 0, latency: new LatencyHistogram() };
      this.#backends.set(address, tally);
    }
    return tally;
  }
}

/**
 * The summary with a zero row for every backend in `addresses` that no request reached. A ledger
 * only knows the backends it saw; a policy that sent nothing to some (pick_first, a hash with few
 * keys) would otherwise look perfectly even, in shares, bars and imbalance alike.
 */
export function withIdleBackends(summary: RunSummary, addresses: readonly string[]): RunSummary {
  const seen = new Set(summary.backends.map((backend) => backend.address));
  const idle = addresses.filter((address) => !seen.has(address));
  if (idle.length === 0) return summary;
  const rows = idle.map((address) => ({ address, ok: 0, share: 0, errors: 0, timeouts: 0, latencyMs: { p50: 0, p99: 0 } }));
  return { ...summary, backends: [...summary.backends, ...rows].sort((a, b) => compareAddresses(a.address, b.address)) };
}

/**
 * Compares the client's ok counts with what each backend says it served.
 *
 * They must be equal, with one exception a crash makes unavoidable: a backend that counted a
 * task and died before the answer left served it, while the client saw that attempt fail (and
 * retried elsewhere). So a backend may have served more than clients counted, by at most the
 * attempts clients saw fail there (`failedAttemptsByAddress`); such a surplus is reported as
 * lost answers. A backend that served fewer than clients counted, or more than that bound
 * allows, is a mismatch: a request counted twice, or lost.
 *
 * Through a proxy the client cannot tell which backend an attempt failed at (the LB answered);
 * those `failedAttemptsWithoutBackend` may explain a surplus anywhere, in total.
 *
 * Of the failed attempts, those that hit the client's deadline (`timeoutsByAddress`) explain a
 * surplus first: the backend served them after the client gave up, a late answer rather than
 * one lost in a crash.
 */
export function reconcile(
  clientOkByAddress: Record<string, number>,
  backendServedByAddress: Record<string, number>,
  failedAttemptsByAddress: Record<string, number> = {},
  failedAttemptsWithoutBackend = 0,
  timeoutsByAddress: Record<string, number> = {},
): Reconciliation {
  const addresses = [...new Set([...Object.keys(clientOkByAddress), ...Object.keys(backendServedByAddress)])];
  let unexplainedSurplus = 0;
  const rows = addresses.sort(compareAddresses).map((address) => {
    const clientOk = clientOkByAddress[address] ?? 0;
    const backendServed = backendServedByAddress[address] ?? 0;
    const failedAttempts = failedAttemptsByAddress[address] ?? 0;
    const surplus = backendServed - clientOk;
    if (surplus > failedAttempts) unexplainedSurplus += surplus - failedAttempts;
    const extra = surplus > 0 ? surplus : 0;
    const lateAnswers = Math.min(extra, timeoutsByAddress[address] ?? 0);
    return { address, clientOk, backendServed, difference: clientOk - backendServed, failedAttempts, lostAnswers: extra - lateAnswers, lateAnswers };
  });
  const surplusExplained = unexplainedSurplus <= failedAttemptsWithoutBackend;
  const isExplained = (row: ReconcileRow): boolean => row.lostAnswers + row.lateAnswers <= row.failedAttempts;
  return {
    matches: rows.every((row) => row.difference <= 0) && surplusExplained,
    rows: surplusExplained ? rows : rows.map((row) => (isExplained(row) ? row : { ...row, lostAnswers: 0, lateAnswers: 0 })),
  };
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

// Most frequent first, then by name, so the order is stable from run to run.
function toRankedRecord(counts: Map<string, number>): Record<string, number> {
  const entries = [...counts.entries()].sort(([a, countA], [b, countB]) => countB - countA || compareText(a, b));
  return Object.fromEntries(entries);
}
