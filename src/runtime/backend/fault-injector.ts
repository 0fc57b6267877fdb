// The fault a backend applies to the calls it serves (`lbx fault`): set and cleared through BackendAdmin, cleared
// by itself when its duration ends, and counted (calls delayed, errored, hung) for `lbx fault --list`.
import { decideFault, describeFault, isNoFault, NO_FAULT, type FaultDecision, type FaultSpec } from '../../core/faults/fault.js';

export interface FaultSnapshot {
  readonly fault: FaultSpec;
  readonly summary: string;
  readonly setAtUnixMs: number;
  /** 0 when it does not clear itself. */
  readonly expiresAtUnixMs: number;
  readonly delayed: number;
  readonly errored: number;
  readonly hung: number;
}

export class FaultInjector {
  private fault: FaultSpec = NO_FAULT;
  private setAtUnixMs = 0;
  private expiresAtUnixMs = 0;
  private expiry: NodeJS.Timeout | undefined;
  private readonly counts = { delayed: 0, errored: 0, hung: 0 };
  private erroredSinceStart = 0;

  constructor(
    private readonly onChange: (summary: string) => void,
    private readonly random: () => number = Math.random,
  ) {}

  /** Replaces the fault (NO_FAULT clears it); the counts start again. */
  set(fault: FaultSpec): FaultSnapshot {
    clearTimeout(this.expiry);
    this.expiry = undefined;
    const isClearing = isNoFault(fault);
    this.fault = isClearing ? NO_FAULT : fault;
    this.setAtUnixMs = isClearing ? 0 : Date.now();
    this.expiresAtUnixMs = !isClearing && fault.durationMs > 0 ? this.setAtUnixMs + fault.durationMs : 0;
    Object.assign(this.counts, { delayed: 0, errored: 0, hung: 0 });
    if (this.expiresAtUnixMs > 0) {
      this.expiry = setTimeout(() => this.set(NO_FAULT), fault.durationMs);
      // A fault never keeps a stopping backend alive.
      this.expiry.unref();
    }
    this.onChange(describeFault(this.fault));
    return this.snapshot();
  }

  snapshot(): FaultSnapshot {
    return { fault: this.fault, summary: describeFault(this.fault), setAtUnixMs: this.setAtUnixMs, expiresAtUnixMs: this.expiresAtUnixMs, ...this.counts };
  }

  /** The fate of one call; a call with no fault is served at once, without a random draw. */
  decide(): FaultDecision {
    if (this.fault === NO_FAULT) return { kind: 'serve', delayMs: 0, slowdown: 1 };
    const decision = decideFault(this.fault, this.random);
    if (decision.kind === 'hang') this.counts.hung += 1;
    else if (decision.kind === 'error') {
      this.counts.errored += 1;
      this.erroredSinceStart += 1;
    } else if (decision.delayMs > 0) this.counts.delayed += 1;
    return decision;
  }

  /** Calls answered with an injected error since the backend started (ORCA's eps). */
  get erroredTotal(): number {
    return this.erroredSinceStart;
  }

  close(): void {
    clearTimeout(this.expiry);
  }
}
