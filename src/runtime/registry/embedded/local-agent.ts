// The agent's write operations — register, deregister, TTL updates — keeping checks, reaper and catalog in step.

import type { CatalogState, CheckRecord } from './catalog-state.js';
import { CheckRunner } from './check-runner.js';
import { CriticalReaper } from './critical-reaper.js';
import { HttpError } from './http-error.js';
import type { DeregisterReason, RegistryEvent } from './registry-events.js';
import type { CheckStatus, ServiceDefinition } from './service-definition.js';

/** Consul keeps at most this much check output (CheckBufSize). */
export const CHECK_OUTPUT_MAX_CHARS = 4_096;

export type TtlUpdateResult = 'updated' | 'unknown-check' | 'not-ttl';

/**
 * How big the catalogue may grow. An lbx cluster needs at most 64 backends and an LB; these
 * leave room for other services, and keep a runaway (or hostile) registrant from making the
 * registry slow to answer or its TCP checks a flood: past them, a register is refused with 429.
 */
export interface CatalogLimits {
  readonly maxServices: number;
  readonly maxChecks: number;
}

export const DEFAULT_CATALOG_LIMITS: CatalogLimits = { maxServices: 1_024, maxChecks: 2_048 };

const truncateOutput = (output: string): string =>
  output.length <= CHECK_OUTPUT_MAX_CHARS ? output : `${output.slice(0, CHECK_OUTPUT_MAX_CHARS)} ... (captured ${CHECK_OUTPUT_MAX_CHARS} of ${output.length} bytes)`;

export class LocalAgent {
  private readonly runner: CheckRunner;
  private readonly reaper: CriticalReaper;
  private isClosed = false;

  constructor(
    private readonly state: CatalogState,
    private readonly emit: (event: RegistryEvent) => void,
    nowMs: () => number = Date.now,
    private readonly limits: CatalogLimits = DEFAULT_CATALOG_LIMITS,
  ) {
    this.runner = new CheckRunner((checkId, status, output) => this.recordCheckResult(checkId, status, output));
    this.reaper = new CriticalReaper((checkId) => this.reapCriticalService(checkId), nowMs);
  }

  /** Registers or replaces a service, then (re)starts its checks: TCP checks dial at once, TTL checks start counting. */
  registerService(definition: ServiceDefinition): void {
    for (const check of definition.checks) {
      const owner = this.state.check(check.checkId)?.serviceId;
      if (owner !== undefined && owner !== definition.id) {
        throw new HttpError(400, `Check ID ${JSON.stringify(check.checkId)} already belongs to service ${JSON.stringify(owner)}`);
      }
    }
    this.refuseBeyondLimits(definition);

    const result = this.state.upsert(definition);
    for (const checkId of result.removedCheckIds) this.forgetCheck(checkId);
    const checks = this.state.checksOf(definition.id);
    for (const check of checks) {
      this.reaper.cancel(check.definition.checkId); // the limit may have changed; track() re-arms from statusSinceMs
      this.trackCritical(check);
      this.runner.start(check.definition.checkId, check.definition.probe);
    }
    this.emit({
      type: 'registered',
      serviceId: definition.id,
      serviceName: definition.name,
      address: definition.address,
      port: definition.port,
      isReplacement: result.isReplacement,
      checks: checks.map((check) => ({ checkId: check.definition.checkId, status: check.status })),
      index: result.index,
    });
  }

  /** Removes a service and stops its checks; false if the ID is unknown. */
  deregisterService(serviceId: string, reason: DeregisterReason): boolean {
    const removed = this.state.remove(serviceId);
    if (removed === undefined) return false;
    for (const check of removed.record.definition.checks) this.forgetCheck(check.checkId);
    this.emit({
      type: 'deregistered',
      serviceId,
      serviceName: removed.record.definition.name,
      reason,
      index: removed.index,
    });
    return true;
  }

  /** pass/warn/fail/update on a TTL check: sets the status and restarts the TTL countdown. */
  updateTtlCheck(checkId: string, status: CheckStatus, output: string): TtlUpdateResult {
    if (this.state.check(checkId) === undefined) return 'unknown-check';
    if (!this.runner.touchTtl(checkId)) return 'not-ttl';
    this.recordCheckResult(checkId, status, truncateOutput(output));
    return 'updated';
  }

  /** Stops every check and timer; the catalog stays readable. */
  close(): void {
    this.isClosed = true;
    this.runner.stopAll();
    this.reaper.cancelAll();
  }

  /** 429 when this registration would take the catalogue past its limits (a replacement counts only its growth). */
  private refuseBeyondLimits(definition: ServiceDefinition): void {
    const previous = this.state.service(definition.id);
    const services = this.state.serviceCount + (previous === undefined ? 1 : 0);
    const checks = this.state.checkCount - (previous?.definition.checks.length ?? 0) + definition.checks.length;
    const full = (what: string, count: number, limit: number): HttpError =>
      new HttpError(
        429,
        `Too many ${what}: registering ${JSON.stringify(definition.id)} would make ${count}, and the lbx embedded registry holds at most ${limit}; ` + 'deregister some first',
      );
    if (previous === undefined && services > this.limits.maxServices) throw full('services', services, this.limits.maxServices);
    if (checks > this.limits.maxChecks && checks > this.state.checkCount) throw full('checks', checks, this.limits.maxChecks);
  }

  private recordCheckResult(checkId: string, status: CheckStatus, output: string): void {
    if (this.isClosed) return;
    const change = this.state.setCheckStatus(checkId, status, output);
    const check = this.state.check(checkId);
    if (check === undefined) return;
    this.trackCritical(check);
    if (change !== undefined) {
      this.emit({
        type: 'check-status-changed',
        checkId,
        serviceId: check.serviceId,
        from: change.from,
        to: change.to,
        output,
        index: change.index,
      });
    }
  }

  private trackCritical(check: CheckRecord): void {
    this.reaper.track(check.definition.checkId, check.status === 'critical', check.statusSinceMs, check.definition.deregisterCriticalAfterMs);
  }

  private reapCriticalService(checkId: string): void {
    const check = this.state.check(checkId);
    if (check !== undefined && check.status === 'critical' && !this.isClosed) {
      this.deregisterService(check.serviceId, 'critical-timeout');
    }
  }

  private forgetCheck(checkId: string): void {
    this.runner.stop(checkId);
    this.reaper.cancel(checkId);
  }
}
