// The catalog of the one node: services, their checks, the modify index, and the waiters of blocking queries.

import { randomUUID } from 'node:crypto';
import type { CheckDefinition, CheckStatus, ServiceDefinition } from './service-definition.js';

export const DATACENTER = 'dc1';
/** The node-level check every Consul node carries; here it is always passing. */
export const NODE_CHECK_ID = 'serfHealth';

export interface NodeRecord {
  id: string;
  name: string;
  address: string;
  datacenter: string;
  createIndex: number;
  modifyIndex: number;
}

export interface ServiceRecord {
  definition: ServiceDefinition;
  createIndex: number;
  modifyIndex: number;
}

export interface CheckRecord {
  definition: CheckDefinition;
  serviceId: string;
  status: CheckStatus;
  output: string;
  /** When the status last changed (or the check was created), for DeregisterCriticalServiceAfter. */
  statusSinceMs: number;
  createIndex: number;
  modifyIndex: number;
}

export interface ServiceInstanceRecord {
  service: ServiceRecord;
  checks: CheckRecord[];
}

export interface UpsertResult {
  /** False when an identical definition was already registered: the index does not move. */
  isChanged: boolean;
  isReplacement: boolean;
  index: number;
  /** Checks the previous definition had and the new one does not. */
  removedCheckIds: string[];
}

export interface StatusChange {
  from: CheckStatus;
  to: CheckStatus;
  index: number;
}

interface Waiter {
  isSatisfied: () => boolean;
  release: () => void;
}

const byKey =
  <T>(key: (item: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;

export class CatalogState {
  readonly node: NodeRecord;
  // One raft-like counter for everything; it only moves forward.
  private lastIndex = 0;
  private servicesTableIndex: number;
  private readonly services = new Map<string, ServiceRecord>();
  private readonly checks = new Map<string, CheckRecord>();
  /** Highest index that touched each service name, kept after the last instance leaves. */
  private readonly serviceNameIndexes = new Map<string, number>();
  private readonly waiters = new Set<Waiter>();
  private isReleased = false;

  constructor(
    options: { nodeName: string; nodeAddress: string },
    private readonly nowMs: () => number = Date.now,
  ) {
    // The node registers itself first, as a Consul agent does, so the first index handed out is 1.
    const index = this.bump();
    this.servicesTableIndex = index;
    this.node = {
      id: randomUUID(),
      name: options.nodeName,
      address: options.nodeAddress,
      datacenter: DATACENTER,
      createIndex: index,
      modifyIndex: index,
    };
  }

  get index(): number {
    return this.lastIndex;
  }

  get serviceCount(): number {
    return this.services.size;
  }

  get checkCount(): number {
    return this.checks.size;
  }

  /** The index of one service name's data: the last register, deregister or status change that touched it; at least 1. */
  indexOfService(name: string): number {
    return Math.max(1, this.serviceNameIndexes.get(name) ?? 0);
  }

  /** The index of the list of service names (moves on register and deregister, not on check changes). */
  indexOfServiceList(): number {
    return this.servicesTableIndex;
  }

  service(id: string): ServiceRecord | undefined {
    return this.services.get(id);
  }

  check(id: string): CheckRecord | undefined {
    return this.checks.get(id);
  }

  allServices(): ServiceRecord[] {
    return [...this.services.values()].sort(byKey((record) => record.definition.id));
  }

  allChecks(): CheckRecord[] {
    return [...this.checks.values()].sort(byKey((record) => record.definition.checkId));
  }

  checksOf(serviceId: string): CheckRecord[] {
    const service = this.services.get(serviceId);
    if (service === undefined) return [];
    return service.definition.checks
      .map((check) => this.checks.get(check.checkId))
      .filter((check): check is CheckRecord => check !== undefined)
      .sort(byKey((record) => record.definition.checkId));
  }

  instancesOf(name: string): ServiceInstanceRecord[] {
    return this.allServices()
      .filter((record) => record.definition.name === name)
      .map((service) => ({ service, checks: this.checksOf(service.definition.id) }));
  }

  /** Adds or replaces a service and its checks; checks that keep their ID keep their status, as in Consul. */
  upsert(definition: ServiceDefinition): UpsertResult {
    const previous = this.services.get(definition.id);
    if (previous !== undefined && JSON.stringify(previous.definition) === JSON.stringify(definition)) {
      return { isChanged: false, isReplacement: true, index: this.lastIndex, removedCheckIds: [] };
    }

    const index = this.bump();
    const now = this.nowMs();
    const newCheckIds = new Set(definition.checks.map((check) => check.checkId));
    const removedCheckIds = (previous?.definition.checks ?? []).map((check) => check.checkId).filter((checkId) => !newCheckIds.has(checkId));
    for (const checkId of removedCheckIds) this.checks.delete(checkId);

    for (const check of definition.checks) {
      const prior = this.checks.get(check.checkId);
      this.checks.set(check.checkId, {
        definition: check,
        serviceId: definition.id,
        status: prior?.status ?? check.initialStatus,
        output: prior?.output ?? '',
        statusSinceMs: prior?.statusSinceMs ?? now,
        createIndex: prior?.createIndex ?? index,
        modifyIndex: index,
      });
    }
    this.services.set(definition.id, { definition, createIndex: previous?.createIndex ?? index, modifyIndex: index });

    this.touchServiceName(definition.name, index);
    if (previous !== undefined && previous.definition.name !== definition.name) {
      this.touchServiceName(previous.definition.name, index);
    }
    this.servicesTableIndex = index;
    this.wakeWaiters();
    return { isChanged: true, isReplacement: previous !== undefined, index, removedCheckIds };
  }

  /** Removes a service and its checks; undefined if the ID is unknown. */
  remove(serviceId: string): { record: ServiceRecord; index: number } | undefined {
    const record = this.services.get(serviceId);
    if (record === undefined) return undefined;
    const index = this.bump();
    this.services.delete(serviceId);
    for (const check of record.definition.checks) this.checks.delete(check.checkId);
    this.touchServiceName(record.definition.name, index);
    this.servicesTableIndex = index;
    this.wakeWaiters();
    return { record, index };
  }

  /**
   * Records a check result. Only a change of status moves the index (a TCP check passing again does not);
   * a new output alone is stored without a new index, as Consul defers output-only updates.
   */
  setCheckStatus(checkId: string, status: CheckStatus, output: string): StatusChange | undefined {
    const check = this.checks.get(checkId);
    if (check === undefined) return undefined;
    check.output = output;
    if (check.status === status) return undefined;

    const from = check.status;
    const index = this.bump();
    check.status = status;
    check.statusSinceMs = this.nowMs();
    check.modifyIndex = index;
    const service = this.services.get(check.serviceId);
    if (service !== undefined) this.touchServiceName(service.definition.name, index);
    this.wakeWaiters();
    return { from, to: status, index };
  }

  /** Resolves once `isSatisfied()` holds after a change, when `timeoutMs` passes, on abort, or on release. */
  waitFor(isSatisfied: () => boolean, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.isReleased || isSatisfied() || signal?.aborted === true) return Promise.resolve();
    return new Promise((resolve) => {
      const release = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', release);
        this.waiters.delete(waiter);
        resolve();
      };
      const waiter: Waiter = { isSatisfied, release };
      const timer = setTimeout(release, timeoutMs);
      signal?.addEventListener('abort', release, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Ends every pending wait now and any later one at once (the registry is closing). */
  releaseWaiters(): void {
    this.isReleased = true;
    for (const waiter of [...this.waiters]) waiter.release();
  }

  private bump(): number {
    this.lastIndex += 1;
    return this.lastIndex;
  }

  private touchServiceName(name: string, index: number): void {
    this.serviceNameIndexes.set(name, index);
  }

  private wakeWaiters(): void {
    for (const waiter of [...this.waiters]) {
      if (waiter.isSatisfied()) waiter.release();
    }
  }
}
