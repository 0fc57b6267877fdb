// Between the registry watch and the Balancer: a listed backend joins only once it has proved it is one.
//
// A registry's passing set says that something registered an `lbx-backend` and that its TCP
// check connects. Any listener passes that, so each new entry is first checked (its address
// must pass the LB's own validation, then lbx.v1.Backend/GetLoad must answer from there naming
// that address); until then the Balancer does not see it. Entries already known to the
// Balancer (a backend that registered itself with its token) pass straight through. A failed
// check is retried with backoff while the registry keeps listing the entry, and reported once.
import type { RegistryInstance } from '../../core/balancer.js';
import { checkAddress } from '../grpc/field-checks.js';

/** Checks running at once: a restarted LB meeting 64 listed backends checks them in a few rounds. */
export const MAX_CONCURRENT_CHECKS = 16;
export const FIRST_RETRY_MS = 1_000;
export const MAX_RETRY_MS = 30_000;

export interface RegistryAdmissionOptions {
  /** True when the Balancer already has this backend at this address (it registered with its token). */
  readonly isKnown: (id: string, address: string) => boolean;
  /** The filtered snapshot, every time it may have changed. */
  readonly apply: (instances: readonly RegistryInstance[]) => void;
  /** Undefined when the address is a live lbx backend; otherwise why not (see admission-probe.ts). */
  readonly verify: (address: string) => Promise<string | undefined>;
  /** One message per entry that was refused, the first time (and again only after it was admitted). */
  readonly onRefused: (instance: RegistryInstance, reason: string) => void;
}

interface Refusal {
  attempts: number;
  timer: NodeJS.Timeout | undefined;
}

const keyOf = (instance: RegistryInstance): string => `${instance.id}@${instance.address}`;

export class RegistryAdmission {
  private latest: readonly RegistryInstance[] = [];
  private readonly verified = new Set<string>();
  private readonly refused = new Map<string, Refusal>();
  private readonly checking = new Set<string>();
  private isStopped = false;

  constructor(private readonly options: RegistryAdmissionOptions) {}

  /** A new passing set from the registry: what has proved itself goes to the Balancer now, the rest is checked. */
  snapshot(instances: readonly RegistryInstance[]): void {
    this.latest = instances;
    this.forgetUnlisted();
    this.applyAdmitted();
    for (const instance of instances) {
      if (!this.isAdmitted(instance)) this.maybeCheck(instance);
    }
  }

  stop(): void {
    this.isStopped = true;
    for (const refusal of this.refused.values()) clearTimeout(refusal.timer);
    this.refused.clear();
  }

  private isAdmitted(instance: RegistryInstance): boolean {
    return this.verified.has(keyOf(instance)) || this.options.isKnown(instance.id, instance.address);
  }

  private applyAdmitted(): void {
    this.options.apply(this.latest.filter((instance) => this.isAdmitted(instance)));
  }

  private maybeCheck(instance: RegistryInstance): void {
    const key = keyOf(instance);
    const refusal = this.refused.get(key);
    if (this.isStopped || this.checking.has(key) || refusal?.timer !== undefined || this.checking.size >= MAX_CONCURRENT_CHECKS) return;
    // The LB's own rule for addresses: an entry it could never answer a pick with is never admitted.
    const valid = checkAddress('registry address', instance.address);
    if (!valid.ok) {
      this.refuse(instance, valid.message, false);
      return;
    }
    this.checking.add(key);
    void this.options
      .verify(instance.address)
      .catch((error: unknown) => (error instanceof Error ? error.message : String(error)))
      .then((failure) => {
        this.checking.delete(key);
        if (this.isStopped || !this.latest.some((listed) => keyOf(listed) === key)) return;
        if (failure === undefined) {
          this.verified.add(key);
          this.clearRefusal(key);
          this.applyAdmitted();
        } else {
          this.refuse(instance, failure, true);
        }
        // A slot is free: check the next entry that waits for one.
        for (const waiting of this.latest) if (!this.isAdmitted(waiting)) this.maybeCheck(waiting);
      });
  }

  private refuse(instance: RegistryInstance, reason: string, mayRetry: boolean): void {
    const key = keyOf(instance);
    const refusal = this.refused.get(key) ?? { attempts: 0, timer: undefined };
    if (refusal.attempts === 0) this.options.onRefused(instance, reason);
    refusal.attempts += 1;
    this.refused.set(key, refusal);
    if (!mayRetry) return;
    const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (refusal.attempts - 1));
    refusal.timer = setTimeout(() => {
      refusal.timer = undefined;
      const listed = this.latest.find((candidate) => keyOf(candidate) === key);
      if (listed !== undefined && !this.isAdmitted(listed)) this.maybeCheck(listed);
    }, delayMs);
    refusal.timer.unref();
  }

  private clearRefusal(key: string): void {
    clearTimeout(this.refused.get(key)?.timer);
    this.refused.delete(key);
  }

  /** Entries the registry no longer lists are forgotten: listed again, they are checked again. */
  private forgetUnlisted(): void {
    const listed = new Set(this.latest.map(keyOf));
    for (const key of this.verified) if (!listed.has(key)) this.verified.delete(key);
    for (const key of [...this.refused.keys()]) if (!listed.has(key)) this.clearRefusal(key);
  }
}
