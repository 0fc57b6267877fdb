// A send worker's ledger entries, sent to the thread that keeps the run's one RunLedger (send --workers).
//
// Summaries cannot be merged exactly (percentiles of percentiles), so each worker forwards what it records, entry by
// entry, in batches; the main thread replays them into its own ledger. Every task still ends exactly once there.
import { RunLedger } from '../../core/stats/run-ledger.js';

export type LedgerEvent =
  readonly ['ok', string, number] | readonly ['attempt', string | null, string, boolean] | readonly ['retry'] | readonly ['hedge'] | readonly ['failed', string, number];

/** A RunLedger that also keeps each entry for forwarding (takeEvents() hands over and clears them). */
export class ForwardingRunLedger extends RunLedger {
  private events: LedgerEvent[] = [];

  takeEvents(): LedgerEvent[] {
    const events = this.events;
    this.events = [];
    return events;
  }

  override recordOk(backendAddress: string, latencyMicros: number): void {
    super.recordOk(backendAddress, latencyMicros);
    this.events.push(['ok', backendAddress, latencyMicros]);
  }

  override recordAttemptFailure(backendAddress: string | undefined, reason: string, options: { mayBeServed?: boolean } = {}): void {
    super.recordAttemptFailure(backendAddress, reason, options);
    this.events.push(['attempt', backendAddress ?? null, reason, options.mayBeServed === true]);
  }

  override recordRetry(): void {
    super.recordRetry();
    this.events.push(['retry']);
  }

  override recordHedge(): void {
    super.recordHedge();
    this.events.push(['hedge']);
  }

  override recordFailed(reason: string, latencyMicros: number): void {
    super.recordFailed(reason, latencyMicros);
    this.events.push(['failed', reason, latencyMicros]);
  }
}

/** Replays one forwarded entry; returns whether it ended a task (ok or failed). */
export function applyLedgerEvent(ledger: RunLedger, event: LedgerEvent): boolean {
  switch (event[0]) {
    case 'ok':
      ledger.recordOk(event[1], event[2]);
      return true;
    case 'attempt':
      ledger.recordAttemptFailure(event[1] ?? undefined, event[2], { mayBeServed: event[3] });
      return false;
    case 'retry':
      ledger.recordRetry();
      return false;
    case 'hedge':
      ledger.recordHedge();
      return false;
    case 'failed':
      ledger.recordFailed(event[1], event[2]);
      return true;
  }
}
