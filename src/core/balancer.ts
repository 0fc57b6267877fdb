// The LB's state: who the backends are, which are eligible, the active policy, and its picker.
//
// Membership has three sources, merged here: RegisterServer/DeregisterServer calls (the
// backend itself, or the supervisor reporting an exit), and the registry's passing set.
// The picker is rebuilt in one place (rebuildPicker) whenever eligibility changes.

import { compareAddresses } from './address-order.js';
import { BackendLoad, type LoadSample } from './load/backend-load.js';
import type { PickableBackend, Picker, PickerDeps, PickRequest, PickResult, PolicyConfig, PolicyFactory } from './policies/policy.js';

/** serving: eligible for picks · removed: known, but out (with the reason kept for reports). */
export type MemberState = 'serving' | 'removed';

export interface RegistryInstance {
  readonly id: string;
  readonly address: string;
}

/** What a backend says about itself when it registers. */
export interface BackendTraits {
  /** Relative capacity for weighted policies (default 1). */
  readonly weight: number;
  /** CPU_HEAVY speed relative to a full-speed backend (default 1); shown in reports. */
  readonly speed: number;
}

export const DEFAULT_TRAITS: BackendTraits = { weight: 1, speed: 1 };

interface Member extends PickableBackend {
  speed: number;
  weight: number;
  /** Assignments by the policy active when each was made. */
  readonly assignedByPolicy: Map<string, number>;
  state: MemberState;
  removedReason: string;
  /** True once the registry has listed it as passing; its later absence then means it failed there. */
  seenInRegistry: boolean;
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
  | { readonly type: 'policy'; readonly policy: string }
  | { readonly type: 'policy-rejected-membership'; readonly policy: string; readonly reason: string };

/**
 * The one removal the registry may undo; any other (graceful, exited) needs the backend's own
 * RegisterServer. The watch cannot tell a failed check from a deregistration, so it says neither.
 */
const REGISTRY_REMOVAL = 'registry: no longer passing';


export class Balancer {
  private readonly members = new Map<string, Member>();
  private picker: Picker;
  private picks = 0;
  private unavailable = 0;

  private config: PolicyConfig = {};

  constructor(
    private policy: PolicyFactory,
    private readonly deps: PickerDeps,
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

  /** A backend announced itself: eligible at once (it registers only after it listens). */
  register(id: string, address: string, traits: BackendTraits = DEFAULT_TRAITS): void {
    const member = this.members.get(address);
    if (member === undefined) {
      this.members.set(address, this.newMember(id, address, traits));
    } else {
      const unchanged = member.id === id && member.weight === traits.weight && member.speed === traits.speed;
      if (member.state === 'serving' && unchanged) return;
      // The same backend coming back keeps its history; another one at this address starts afresh.
      const fresh = this.newMember(id, address, traits);
      this.members.set(
        address,
        member.id === id ? { ...fresh, load: member.load, assignedByPolicy: member.assignedByPolicy, seenInRegistry: member.seenInRegistry && member.state === 'serving' } : fresh,
      );
    }
    this.onEvent({ type: 'joined', address, source: 'rpc' });
    this.rebuildPicker();
  }

  /** Takes a backend out; `reason` is kept for reports ("graceful", "exited", …). False when it was not serving. */
  deregister(address: string, reason: string): boolean {
    const member = this.members.get(address);
    if (member === undefined || member.state === 'removed') return false;
    member.state = 'removed';
    member.removedReason = reason;
    this.onEvent({ type: 'removed', address, reason });
    this.rebuildPicker();
    return true;
  }

  /**
   * The registry's current passing set. Unknown instances join; members the registry listed
   * before and no longer does are removed. Members that left for a final reason (graceful,
   * exited) stay out even if a lagging registry still lists them.
   */
  applyRegistrySnapshot(instances: readonly RegistryInstance[]): void {
    const passing = new Map(instances.map((instance) => [instance.address, instance]));
    let changed = false;
    for (const [address, member] of this.members) {
      if (passing.has(address)) {
        member.seenInRegistry = true;
        if (member.state === 'removed' && member.removedReason === REGISTRY_REMOVAL) {
          member.state = 'serving';
          member.removedReason = '';
          this.onEvent({ type: 'joined', address, source: 'registry' });
          changed = true;
        }
      } else if (member.seenInRegistry) {
        member.seenInRegistry = false;
        if (member.state === 'serving') {
          member.state = 'removed';
          member.removedReason = REGISTRY_REMOVAL;
          this.onEvent({ type: 'removed', address, reason: REGISTRY_REMOVAL });
          changed = true;
        }
      }
    }
    for (const [address, instance] of passing) {
      if (this.members.has(address)) continue;
      this.members.set(address, { ...this.newMember(instance.id, address, DEFAULT_TRAITS), seenInRegistry: true });
      this.onEvent({ type: 'joined', address, source: 'registry' });
      changed = true;
    }
    if (changed) this.rebuildPicker();
  }

  /**
   * Records a load report; false when the backend is unknown (it should register again).
   * Removed members' reports are kept too: a draining backend's last figures are what
   * `report` shows for it once it has gone.
   */
  recordReport(address: string, sample: LoadSample): boolean {
    const member = this.members.get(address);
    if (member === undefined) return false;
    member.load.recordReport(sample, this.deps.nowMs());
    return true;
  }

  pick(request: PickRequest): PickResult {
    const result = this.picker.pick(request);
    if (result.kind === 'backend') {
      this.picks += 1;
      result.backend.load.recordAssignment();
      const counts = this.members.get(result.backend.address)?.assignedByPolicy;
      counts?.set(this.policy.name, (counts.get(this.policy.name) ?? 0) + 1);
    } else {
      this.unavailable += 1;
    }
    return result;
  }

  stats(): BalancerStats {
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
    };
  }

  private loadOptions(): { staleAfterMs?: number } {
    return this.staleAfterMs === undefined ? {} : { staleAfterMs: this.staleAfterMs };
  }

  private eligible(): Member[] {
    return [...this.members.values()].filter((member) => member.state === 'serving').sort((a, b) => compareAddresses(a.address, b.address));
  }

  /**
   * Rebuilds the picker for the current members. A policy that cannot serve them (a hash ring
   * too small for this many backends) keeps its previous picker, and says so, rather than
   * failing the registration or watch update that changed membership.
   */
  private rebuildPicker(): void {
    try {
      this.picker = this.policy.createPicker(this.eligible(), this.deps, this.config);
    } catch (error) {
      this.onEvent({ type: 'policy-rejected-membership', policy: this.policy.name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
}
