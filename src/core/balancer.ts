// The LB's state: who the backends are, which are eligible, the active policy, and its picker.
//
// Membership has three sources, merged here: RegisterServer/DeregisterServer calls (the
// backend itself, or the supervisor reporting an exit), and the registry's passing set.
// Call outcomes feed outlier ejection, which takes a failing backend out of picks for a while.
// The picker is rebuilt in one place (rebuildPicker) whenever eligibility changes.

import { compareAddresses } from './address-order.js';
import { maxEjected, mayEject, OutlierRecord } from './health/outlier-ejection.js';
import { FAILURE_PERCENTAGE_INTERVAL_MS, failurePercentageOutliers, IntervalTally } from './health/failure-percentage.js';
import { checkSuccessRateConfig, DEFAULT_SUCCESS_RATE, successRateOutliers, type SuccessRateConfig } from './health/success-rate.js';
import { BackendLoad, type LoadSample } from './load/backend-load.js';
import type { PickableBackend, Picker, PickerDeps, PickRequest, PickResult, PolicyConfig, PolicyFactory } from './policies/policy.js';
import { RegistryResyncGrace } from './registry-resync-grace.js';
import { slowStartFactor } from './load/slow-start.js';

export { REGISTRY_RESYNC_GRACE_MS } from './registry-resync-grace.js';

/**
 * Members kept at most, serving and removed together, so a flood of RegisterServer calls or
 * a hostile registry cannot grow the LB without bound. Removed members are forgotten first.
 */
export const MAX_MEMBERS = 1_024;

/** serving: in the membership (eligible unless ejected) · removed: known, but out (with the reason kept for reports). */
export type MemberState = 'serving' | 'removed';

/** What a backend says about itself when it registers. */
export interface BackendTraits {
  /** Relative capacity for weighted policies (default 1). */
  readonly weight: number;
  /** CPU_HEAVY speed relative to a full-speed backend (default 1); shown in reports. */
  readonly speed: number;
}

export const DEFAULT_TRAITS: BackendTraits = { weight: 1, speed: 1 };

export interface RegistryInstance {
  readonly id: string;
  readonly address: string;
  /** As the backend registered them; absent when the registry does not know them (defaults apply to new members). */
  readonly traits?: BackendTraits;
}

/** What the Balancer reads instead of clocks and randomness. */
export interface BalancerDeps extends PickerDeps {
  /** Wall-clock ms since the epoch (Date.now in the LB): only for the membership history in stats. */
  readonly wallMs: () => number;
  /**
   * Asks the LB to check a backend for itself (a grpc.health.v1 probe with a short deadline)
   * and to answer with probeResult(). Without it, every failure report is taken as evidence.
   */
  readonly probeBackend?: (address: string) => void;
}

/** Why a backend was ejected: the LB's own calls (proxy mode), several clients' reports, or a failed probe after one client's. */
export type EjectionEvidence = 'own-calls' | 'several-clients' | 'probe-failed' | 'failure-percentage' | 'success-rate';

export type RegisterResult = { readonly kind: 'registered' } | { readonly kind: 'refused'; readonly reason: string };

interface Member extends PickableBackend {
  speed: number;
  weight: number;
  /** Assignments by the policy active when each was made. */
  readonly assignedByPolicy: Map<string, number>;
  state: MemberState;
  removedReason: string;
  /** True once the registry has listed it as passing; its later absence then means it failed there. */
  seenInRegistry: boolean;
  readonly outlier: OutlierRecord;
  /** Calls in the current failure-percentage interval. */
  readonly interval: IntervalTally;
  joinedAtUnixMs: number;
  leftAtUnixMs: number;
  lastAssignedAtUnixMs: number;
  /** Order of removal, so the member cap forgets the longest-gone first. */
  removalSeq: number;
}

export interface MemberStats {
  readonly address: string;
  readonly id: string;
  readonly state: MemberState;
  readonly removedReason: string;
  readonly inRegistry: boolean;
  readonly assigned: number;
  readonly lastReport: LoadSample | undefined;
  readonly lastReportAgeMs: number | undefined;
  readonly loadScore: number;
  readonly weight: number;
  readonly speed: number;
  readonly assignedByPolicy: Readonly<Record<string, number>>;
  /** Wall clock when it last joined. */
  readonly joinedAtUnixMs: number;
  /** Wall clock when it was last removed; 0 while serving. */
  readonly leftAtUnixMs: number;
  /** Wall clock of its last pick; 0 = never. */
  readonly lastAssignedAtUnixMs: number;
  readonly ejected: boolean;
  readonly ejections: number;
  readonly failuresReported: number;
  /** Slow start: the share of its weight it gets now (min … 1); 1 when not ramping. */
  readonly slowStartFactor: number;
}

export interface BalancerStats {
  readonly policy: string;
  readonly policyConfig: PolicyConfig;
  readonly picks: number;
  readonly unavailable: number;
  readonly backends: readonly MemberStats[];
}

export type BalancerEvent =
  | { readonly type: 'joined'; readonly address: string; readonly source: 'rpc' | 'registry' }
  | { readonly type: 'removed'; readonly address: string; readonly reason: string }
  | { readonly type: 'ejected'; readonly address: string; readonly consecutiveFailures: number; readonly forMs: number; readonly evidence: EjectionEvidence }
  | { readonly type: 'probing'; readonly address: string; readonly consecutiveFailures: number }
  | { readonly type: 'probe-passed'; readonly address: string; readonly consecutiveFailures: number }
  | { readonly type: 'returned'; readonly address: string }
  | { readonly type: 'registry-truncated'; readonly listed: number; readonly dropped: number; readonly limit: number }
  | { readonly type: 'policy'; readonly policy: string }
  | { readonly type: 'policy-rejected-membership'; readonly policy: string; readonly reason: string };

/**
 * The one removal the registry may undo; any other (graceful, exited) needs the backend's own
 * RegisterServer. The watch cannot tell a failed check from a deregistration, so it says neither.
 */
const REGISTRY_REMOVAL = 'registry: no longer passing';

/** How the supervisor's exit notice words a removal ("exited (signal SIGKILL)"): see recordReport. */
export const EXIT_REMOVAL_PREFIX = 'exited';

const REGISTERED: RegisterResult = { kind: 'registered' };

/** Policies whose picks slow start thins out (Envoy: round robin and least request; lbx: every spreading policy). */
const RAMPED_POLICIES: ReadonlySet<string> = new Set(['round_robin', 'weighted_round_robin', 'least_load', 'least_connections', 'power_of_two', 'peak_ewma', 'random', 'prequal']);

export class Balancer {
  private readonly members = new Map<string, Member>();
  private picker: Picker;
  private picks = 0;
  private unavailable = 0;
  private removals = 0;
  /** The earliest end of a current ejection (Infinity: none), so a pick checks expiry with one comparison. */
  private nextReturnMs = Infinity;
  private readonly resyncGrace = new RegistryResyncGrace();
  /** The latest snapshot that arrived during a resync grace: its removals are applied when the grace runs out. */
  private snapshotOwedRemovals: readonly RegistryInstance[] | undefined;

  private config: PolicyConfig = {};
  private slowStartMs = 0;
  private intervalStartedAtMs = Number.NEGATIVE_INFINITY;
  private successRate: SuccessRateConfig = DEFAULT_SUCCESS_RATE;
  /** Outlier detection (every kind of ejection); off = calls are still counted for stats, but nobody is ejected. */
  private outlierDetection = true;

  constructor(
    private policy: PolicyFactory,
    private readonly deps: BalancerDeps,
    private readonly onEvent: (event: BalancerEvent) => void = () => undefined,
    private readonly staleAfterMs?: number,
  ) {
    this.picker = policy.createPicker([], deps, this.config);
  }

  get policyName(): string {
    return this.policy.name;
  }

  /**
   * Switches the policy (and its settings) for every later pick. The new picker is built
   * first, so a config the policy rejects leaves the old policy in place.
   */
  setPolicy(policy: PolicyFactory, config: PolicyConfig = {}): void {
    this.picker = policy.createPicker(this.eligible(), this.deps, config);
    this.policy = policy;
    this.config = config;
    this.onEvent({ type: 'policy', policy: policy.name });
  }

  /**
   * A backend announced itself: eligible at once (it registers only after it listens).
   * Refused only when MAX_MEMBERS are serving and none removed is left to forget.
   */
  register(id: string, address: string, traits: BackendTraits = DEFAULT_TRAITS): RegisterResult {
    const member = this.members.get(address);
    if (member !== undefined && member.id === id) {
      const sameTraits = member.weight === traits.weight && member.speed === traits.speed;
      if (member.state === 'serving' && sameTraits) return REGISTERED;
      // The same backend coming back keeps its history, but must be listed by the registry again.
      member.weight = traits.weight;
      member.speed = traits.speed;
      if (member.state === 'removed') {
        member.seenInRegistry = false;
        this.rejoin(member);
      }
    } else {
      if (member === undefined && !this.makeRoomForOne()) {
        return { kind: 'refused', reason: `the LB already has ${MAX_MEMBERS} serving backends, its limit; deregister one first` };
      }
      // Another backend at a known address starts afresh.
      this.members.set(address, this.newMember(id, address, traits));
    }
    this.onEvent({ type: 'joined', address, source: 'rpc' });
    this.rebuildPicker();
    return REGISTERED;
  }

  /** Whether a backend with this id is a member at this address (serving or removed). */
  hasMember(id: string, address: string): boolean {
    return this.members.get(address)?.id === id;
  }

  /** Takes a backend out; `reason` is kept for reports ("graceful", "exited", …). False when it was not serving. */
  deregister(address: string, reason: string): boolean {
    const member = this.members.get(address);
    if (member === undefined) return false;
    if (member.state === 'removed') {
      // The registry's health check may see a crash a few ms before the supervisor's exit notice arrives: the
      // exit is the better reason (it says what happened, and it is final, so a lagging registry cannot re-admit it).
      if (reason.startsWith(EXIT_REMOVAL_PREFIX) && member.removedReason === REGISTRY_REMOVAL) member.removedReason = reason;
      return false;
    }
    this.remove(member, reason);
    this.rebuildPicker();
    return true;
  }

  /**
   * The registry watch failed (registry down or restarting). Until REGISTRY_RESYNC_GRACE_MS
   * after the next snapshot, snapshots add and re-admit members but remove none. A backend
   * that crashes meanwhile still goes at once: the supervisor's exit notice deregisters it,
   * and outlier ejection takes it out of picks when its calls fail.
   */
  registryOutage(): void {
    this.resyncGrace.outage();
  }

  /**
   * The registry's current passing set. Unknown instances join (with the traits the registry
   * has for them); members the registry listed before and no longer does are removed, except
   * during a resync grace (see registryOutage). Members that left for a final reason
   * (graceful, exited) stay out even if a lagging registry still lists them.
   */
  applyRegistrySnapshot(instances: readonly RegistryInstance[]): void {
    const mayRemove = this.resyncGrace.snapshotMayRemove(this.deps.nowMs());
    this.snapshotOwedRemovals = mayRemove ? undefined : instances;
    const passing = new Map(instances.map((instance) => [instance.address, instance]));
    let changed = false;
    for (const [address, member] of this.members) {
      const listed = passing.get(address);
      if (listed !== undefined) {
        member.seenInRegistry = true;
        if (this.adoptTraits(member, listed.traits)) changed = true;
        if (member.state === 'removed' && member.removedReason === REGISTRY_REMOVAL) {
          this.rejoin(member);
          this.onEvent({ type: 'joined', address, source: 'registry' });
          changed = true;
        }
      } else if (member.seenInRegistry && mayRemove) {
        // During a grace seenInRegistry stays set, so the member is still removed once it ends.
        member.seenInRegistry = false;
        if (member.state === 'serving') {
          this.remove(member, REGISTRY_REMOVAL);
          changed = true;
        }
      }
    }
    let dropped = 0;
    for (const [address, instance] of passing) {
      if (this.members.has(address)) continue;
      // Once full, nothing frees up within this snapshot: skip the rest without searching again.
      if (dropped > 0 || !this.makeRoomForOne()) {
        dropped += 1;
        continue;
      }
      this.members.set(address, { ...this.newMember(instance.id, address, usableTraits(instance.traits) ?? DEFAULT_TRAITS), seenInRegistry: true });
      this.onEvent({ type: 'joined', address, source: 'registry' });
      changed = true;
    }
    if (dropped > 0) this.onEvent({ type: 'registry-truncated', listed: passing.size, dropped, limit: MAX_MEMBERS });
    if (changed) this.rebuildPicker();
  }

  /**
   * Records a load report; false when the backend is unknown (it should register again).
   * Removed members' reports are kept too: a draining backend's last figures are what
   * `report` shows for it once it has gone. But a member removed because it exited cannot
   * report: a report at its address comes from a live process there (a notice that raced a
   * restart on the same port), which is told to register again rather than left out forever.
   */
  recordReport(address: string, sample: LoadSample): boolean {
    const member = this.members.get(address);
    if (member === undefined) return false;
    if (member.state === 'removed' && member.removedReason.startsWith(EXIT_REMOVAL_PREFIX)) return false;
    member.load.recordReport(sample, this.deps.nowMs());
    return true;
  }

  /**
   * How a call to `address` ended (a client's PickDone, or the proxy's own call): `statusCode`
   * is its gRPC code (0 when ok). Enough failures in a row eject it (see outlier-ejection.ts),
   * unless half the serving backends are ejected already. Unknown addresses are ignored.
   *
   * A client's report is a hint, not evidence: any local process can send PickDone. When the
   * failures come from one `reporter` alone (one client connection), the backend is probed
   * (deps.probeBackend) and ejected only if the probe fails; failures reported by more than
   * one, or seen by the LB itself (no reporter), eject at once.
   */
  recordOutcome(address: string, ok: boolean, statusCode: number, reporter?: string): void {
    const member = this.members.get(address);
    if (member === undefined) return;
    this.judgeIntervalIfDue();
    member.interval.record(ok, statusCode, reporter);
    const reachedThreshold = member.outlier.record(ok, statusCode, reporter);
    if (!reachedThreshold || member.state !== 'serving' || !this.outlierDetection) return;
    const probe = this.deps.probeBackend;
    if (reporter !== undefined && probe !== undefined && !member.outlier.hasSeveralReporters) {
      if (member.outlier.isProbing) return;
      member.outlier.isProbing = true;
      this.onEvent({ type: 'probing', address, consecutiveFailures: member.outlier.consecutiveFailures });
      probe(address);
      return;
    }
    this.eject(member, reporter === undefined ? 'own-calls' : 'several-clients');
  }

  /**
   * What the probe asked for by recordOutcome found: a backend that failed it is ejected (within
   * the cap); one that passed keeps serving, and the failures that triggered it are forgotten.
   */
  probeResult(address: string, isHealthy: boolean): void {
    const member = this.members.get(address);
    if (member === undefined || !member.outlier.isProbing) return;
    member.outlier.isProbing = false;
    if (member.state !== 'serving' || member.outlier.isEjected || !this.outlierDetection) return;
    if (isHealthy) {
      this.onEvent({ type: 'probe-passed', address, consecutiveFailures: member.outlier.consecutiveFailures });
      member.outlier.resetRun();
      return;
    }
    this.eject(member, 'probe-failed');
  }

  /**
   * Failure-percentage and success-rate detection (core/health/failure-percentage.ts, success-rate.ts): when an
   * interval has passed, judges it with both and starts the next. Judged on the first outcome after the interval
   * ends, not on a timer: without calls there is nothing to judge. A backend both find is ejected once, as a
   * failure-percentage outlier (the plainer reason); eject() keeps every ejection within the cap.
   */
  private judgeIntervalIfDue(): void {
    const nowMs = this.deps.nowMs();
    if (nowMs - this.intervalStartedAtMs < FAILURE_PERCENTAGE_INTERVAL_MS) return;
    const serving = [...this.members.values()].filter((member) => member.state === 'serving' && !member.outlier.isEjected);
    const tallies = new Map(serving.map((member) => [member.address, member.interval]));
    const byFailurePercentage = failurePercentageOutliers(tallies);
    const bySuccessRate = successRateOutliers(tallies, this.successRate, this.deps.random).filter((address) => !byFailurePercentage.includes(address));
    for (const member of this.members.values()) member.interval.reset();
    this.intervalStartedAtMs = nowMs;
    const outliers = [...byFailurePercentage.map((address) => [address, 'failure-percentage'] as const), ...bySuccessRate.map((address) => [address, 'success-rate'] as const)];
    for (const [address, evidence] of outliers) {
      const member = this.members.get(address);
      if (member !== undefined && !member.outlier.isEjected) this.eject(member, evidence);
    }
  }

  private eject(member: Member, evidence: EjectionEvidence): void {
    if (!this.outlierDetection) return;
    const nowMs = this.deps.nowMs();
    this.returnDueMembers(nowMs);
    const serving = [...this.members.values()].filter((candidate) => candidate.state === 'serving');
    if (!mayEject(serving.filter((candidate) => candidate.outlier.isEjected).length, serving.length)) return;
    const consecutiveFailures = member.outlier.consecutiveFailures;
    const forMs = member.outlier.eject(nowMs);
    this.onEvent({ type: 'ejected', address: member.address, consecutiveFailures, forMs, evidence });
    this.rebuildPicker();
  }

  /** Success-rate ejection's settings (A50 success_rate_ejection) from the next interval on; bad ones throw, naming them. */
  setSuccessRate(config: SuccessRateConfig): void {
    const problems = checkSuccessRateConfig(config);
    if (problems.length > 0) throw new RangeError(problems.join('; '));
    this.successRate = config;
  }

  /**
   * Outlier detection on or off from now on (`--outlier-detection`, SetPolicy's outlier_detection). Off: no ejection
   * of any kind (consecutive failures, failure percentage, success rate), and the backends ejected now return at once,
   * so an arm measured without it starts with every backend in picks. Turned back on, it judges only later calls.
   */
  setOutlierDetection(enabled: boolean): void {
    if (enabled === this.outlierDetection) return;
    this.outlierDetection = enabled;
    for (const member of this.members.values()) {
      member.outlier.resetRun();
      member.interval.reset();
    }
    if (enabled) return;
    let returned = false;
    for (const member of this.members.values()) {
      member.outlier.isProbing = false;
      if (!member.outlier.isEjected) continue;
      member.outlier.release();
      if (member.state === 'serving') this.onEvent({ type: 'returned', address: member.address });
      returned = true;
    }
    this.nextReturnMs = Infinity;
    if (returned) this.rebuildPicker();
  }

  get isOutlierDetectionOn(): boolean {
    return this.outlierDetection;
  }

  /** Slow start over `windowMs` (0 = off) for every backend that joins from now on, and those that joined less than a window ago. */
  setSlowStart(windowMs: number): void {
    this.slowStartMs = Math.max(0, windowMs);
  }

  get slowStartWindowMs(): number {
    return this.slowStartMs;
  }

  pick(request: PickRequest): PickResult {
    this.catchUp();
    const result = this.rampedPick(request);
    if (result.kind === 'backend') {
      this.picks += 1;
      result.backend.load.recordAssignment();
      const member = this.members.get(result.backend.address);
      if (member !== undefined) {
        member.assignedByPolicy.set(this.policy.name, (member.assignedByPolicy.get(this.policy.name) ?? 0) + 1);
        member.lastAssignedAtUnixMs = this.deps.wallMs();
      }
    } else {
      this.unavailable += 1;
    }
    return result;
  }

  /**
   * The picker's choice, with slow start: a ramping backend's pick is kept with probability slowStartFactor, else
   * the picker chooses again without it (one retry; the first choice stands when there is no other). Not for
   * consistent_hash (a key must stay on its owner) or pick_first (there is one backend to pick).
   */
  private rampedPick(request: PickRequest): PickResult {
    const first = this.picker.pick(request);
    if (first.kind !== 'backend' || this.slowStartMs === 0 || !RAMPED_POLICIES.has(this.policy.name)) return first;
    const member = this.members.get(first.backend.address);
    if (member === undefined || this.deps.random() < this.slowStartFactorOf(member)) return first;
    const second = this.picker.pick({ ...request, exclude: new Set([...request.exclude, first.backend.address]) });
    // No policy learns from outcomes (IGNORE_OUTCOME everywhere), so the first pick needs no release.
    return second.kind === 'backend' ? second : first;
  }

  private slowStartFactorOf(member: Member): number {
    return slowStartFactor(this.deps.wallMs() - member.joinedAtUnixMs, this.slowStartMs);
  }

  stats(): BalancerStats {
    this.catchUp();
    const nowMs = this.deps.nowMs();
    const backends = [...this.members.values()]
      .sort((a, b) => compareAddresses(a.address, b.address))
      .map((member) => ({
        address: member.address,
        id: member.id,
        state: member.state,
        removedReason: member.removedReason,
        inRegistry: member.seenInRegistry,
        assigned: member.load.assignedTotal,
        lastReport: member.load.lastReport,
        lastReportAgeMs: member.load.lastReportAgeMs(nowMs),
        loadScore: member.load.score(nowMs),
        weight: member.weight,
        speed: member.speed,
        assignedByPolicy: Object.fromEntries(member.assignedByPolicy),
        joinedAtUnixMs: member.joinedAtUnixMs,
        leftAtUnixMs: member.leftAtUnixMs,
        lastAssignedAtUnixMs: member.lastAssignedAtUnixMs,
        ejected: member.outlier.isEjected,
        ejections: member.outlier.ejections,
        failuresReported: member.outlier.failuresReported,
        slowStartFactor: member.state === 'serving' ? this.slowStartFactorOf(member) : 1,
      }));
    return { policy: this.policy.name, policyConfig: this.config, picks: this.picks, unavailable: this.unavailable, backends };
  }

  private newMember(id: string, address: string, traits: BackendTraits): Member {
    return {
      id,
      address,
      weight: traits.weight,
      speed: traits.speed,
      load: new BackendLoad(this.loadOptions()),
      assignedByPolicy: new Map(),
      state: 'serving',
      removedReason: '',
      seenInRegistry: false,
      outlier: new OutlierRecord(),
      interval: new IntervalTally(),
      joinedAtUnixMs: this.deps.wallMs(),
      leftAtUnixMs: 0,
      lastAssignedAtUnixMs: 0,
      removalSeq: 0,
    };
  }

  private rejoin(member: Member): void {
    member.state = 'serving';
    member.removedReason = '';
    member.joinedAtUnixMs = this.deps.wallMs();
    member.leftAtUnixMs = 0;
    member.outlier.release();
  }

  private remove(member: Member, reason: string): void {
    member.state = 'removed';
    member.removedReason = reason;
    member.leftAtUnixMs = this.deps.wallMs();
    this.removals += 1;
    member.removalSeq = this.removals;
    member.outlier.release();
    this.onEvent({ type: 'removed', address: member.address, reason });
  }

  /** Takes the registry's traits for a member when they differ; true when its picker weight changed. */
  private adoptTraits(member: Member, traits: BackendTraits | undefined): boolean {
    const usable = usableTraits(traits);
    if (usable === undefined || (usable.weight === member.weight && usable.speed === member.speed)) return false;
    member.weight = usable.weight;
    member.speed = usable.speed;
    return member.state === 'serving';
  }

  /** Makes room for one new member: true when there is (forgetting the longest-removed if full), false when all are serving. */
  private makeRoomForOne(): boolean {
    if (this.members.size < MAX_MEMBERS) return true;
    let oldest: Member | undefined;
    for (const member of this.members.values()) {
      if (member.state === 'removed' && (oldest === undefined || member.removalSeq < oldest.removalSeq)) oldest = member;
    }
    if (oldest === undefined) return false;
    this.members.delete(oldest.address);
    return true;
  }

  private loadOptions(): { staleAfterMs?: number } {
    return this.staleAfterMs === undefined ? {} : { staleAfterMs: this.staleAfterMs };
  }

  /** Work that falls due with time rather than with a call: ejections ending, a resync grace running out. No timers needed. */
  private catchUp(): void {
    const nowMs = this.deps.nowMs();
    if (nowMs >= this.nextReturnMs) this.returnDueMembers(nowMs);
    if (this.snapshotOwedRemovals !== undefined && this.resyncGrace.hasRunOut(nowMs)) this.applyRegistrySnapshot(this.snapshotOwedRemovals);
  }

  private returnDueMembers(nowMs: number): void {
    let returned = false;
    for (const member of this.members.values()) {
      if (!member.outlier.isDueBack(nowMs)) continue;
      member.outlier.release();
      this.onEvent({ type: 'returned', address: member.address });
      returned = true;
    }
    if (returned) this.rebuildPicker();
  }

  /**
   * When backends leave, the ejected ones may come to more than half of those left: the ones
   * due back soonest return early, so the cap holds at all times, not just when ejecting.
   */
  private keepEjectionsWithinCap(): void {
    const serving = [...this.members.values()].filter((member) => member.state === 'serving');
    const ejected = serving.filter((member) => member.outlier.isEjected);
    const excess = ejected.length - maxEjected(serving.length);
    if (excess <= 0) return;
    ejected.sort((a, b) => (a.outlier.ejectedUntilMs ?? 0) - (b.outlier.ejectedUntilMs ?? 0));
    for (const member of ejected.slice(0, excess)) {
      member.outlier.release();
      this.onEvent({ type: 'returned', address: member.address });
    }
  }

  private eligible(): Member[] {
    return [...this.members.values()].filter((member) => member.state === 'serving' && !member.outlier.isEjected).sort((a, b) => compareAddresses(a.address, b.address));
  }

  /**
   * Rebuilds the picker for the current members. A policy that cannot serve them (a hash ring
   * too small for this many backends) keeps its previous picker, and says so, rather than
   * failing the registration or watch update that changed membership.
   */
  private rebuildPicker(): void {
    this.keepEjectionsWithinCap();
    this.nextReturnMs = Infinity;
    for (const member of this.members.values()) this.nextReturnMs = Math.min(this.nextReturnMs, member.outlier.ejectedUntilMs ?? Infinity);
    try {
      this.picker = this.policy.createPicker(this.eligible(), this.deps, this.config);
    } catch (error) {
      this.onEvent({ type: 'policy-rejected-membership', policy: this.policy.name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
}

/** Traits a registry may be trusted with: finite and positive, else none (the defaults, or what the member has). */
function usableTraits(traits: BackendTraits | undefined): BackendTraits | undefined {
  if (traits === undefined) return undefined;
  const isUsable = (value: number): boolean => Number.isFinite(value) && value > 0;
  return isUsable(traits.weight) && isUsable(traits.speed) ? traits : undefined;
}
