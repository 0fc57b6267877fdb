// How a simulated client or LB picks: through lbx's own Balancer and policy pickers, unchanged.
//
// A chooser owns one Balancer (the LB's, in look-aside and proxy runs; each client's own, in
// client-side runs) over the backends it may use, registered as `sim:<n>`. It hands out the
// BackendLoad the Balancer made for each member, so the engine can feed it exactly as the LB's
// pick tracker and proxy do (callStarted / callEnded / recordReport); the policy reads it live.
// It learns those loads by wrapping the policy factory: the Balancer calls createPicker with its
// members whenever membership changes, and the wrapper notes their loads before delegating. Members join as the
// registry's passing set (applyRegistrySnapshot), the way the LB learns most of its backends.
//
// The Balancer holds at most MAX_MEMBERS (1,024) backends, a guard against hostile registries;
// above that the chooser builds the same policy's picker over the same BackendLoads itself and
// records each assignment as Balancer.pick does. Nothing else differs.

import { Balancer, MAX_MEMBERS } from '../balancer.js';
import { BackendLoad } from '../load/backend-load.js';
import type { PickableBackend, Picker, PickerDeps, PickRequest, PolicyConfig, PolicyFactory } from '../policies/policy.js';

/** The one request every simulated pick makes: lbx's CPU_HEAVY task with no key and no exclusions. */
const HEAVY_REQUEST: PickRequest = { taskKind: 'CPU_HEAVY', key: '', exclude: new Set() };

/** The address a simulated backend registers with (1-based, so it reads like lbx's ports in the SPLIT column). */
export const simAddress = (backend: number): string => `sim:${backend + 1}`;

export interface SimChooser {
  /** Picks for one request: a backend index (global numbering), or −1 when the policy found none. */
  pick(): number;
  /** The load figures this chooser keeps for `backend`; undefined when it is not one of its members. */
  loadOf(backend: number): BackendLoad | undefined;
  /** Which path picks: 'balancer' (lbx's Balancer) or 'picker' (the policy's picker alone, above MAX_MEMBERS). */
  readonly path: 'balancer' | 'picker';
}

export interface ChooserOptions {
  readonly policy: PolicyFactory;
  readonly policyConfig: PolicyConfig;
  /** Global indices of the backends this chooser may pick, sorted. */
  readonly members: Int32Array;
  readonly deps: PickerDeps;
  /** A report older than this is ignored (the LB's default is 3 report intervals). */
  readonly staleAfterMs: number;
}

export function createChooser(options: ChooserOptions): SimChooser {
  return options.members.length <= MAX_MEMBERS ? new BalancerChooser(options) : new PickerChooser(options);
}

class BalancerChooser implements SimChooser {
  readonly path = 'balancer';
  readonly #balancer: Balancer;
  readonly #indexOf = new Map<string, number>();
  readonly #loads = new Map<number, BackendLoad>();

  constructor(options: ChooserOptions) {
    const capture = (backends: readonly PickableBackend[]): void => {
      for (const backend of backends) this.#loads.set(this.#indexOf.get(backend.address) as number, backend.load);
    };
    const watched: PolicyFactory = { ...options.policy, createPicker: (backends, deps, config) => (capture(backends), options.policy.createPicker(backends, deps, config)) };
    const deps = { ...options.deps, wallMs: options.deps.nowMs };
    this.#balancer = new Balancer(watched, deps, undefined, options.staleAfterMs);
    this.#balancer.setPolicy(watched, options.policyConfig);
    // All at once, as the LB learns a registry's passing set: one picker rebuild, where a register() per member
    // would rebuild (and sort) the members once per member.
    const instances = Array.from(options.members, (backend) => ({ id: `backend-${backend + 1}`, address: simAddress(backend) }));
    for (const [index, instance] of instances.entries()) this.#indexOf.set(instance.address, options.members[index] as number);
    this.#balancer.applyRegistrySnapshot(instances);
  }

  pick(): number {
    const result = this.#balancer.pick(HEAVY_REQUEST);
    return result.kind === 'backend' ? (this.#indexOf.get(result.backend.address) as number) : -1;
  }

  loadOf(backend: number): BackendLoad | undefined {
    return this.#loads.get(backend);
  }
}

/** A member as the picker sees it, with its global index so a pick needs no lookup. */
class SimMember implements PickableBackend {
  readonly address: string;
  readonly id: string;
  readonly weight = 1;
  constructor(
    readonly index: number,
    readonly load: BackendLoad,
  ) {
    this.address = simAddress(index);
    this.id = `backend-${index + 1}`;
  }
}

class PickerChooser implements SimChooser {
  readonly path = 'picker';
  readonly #picker: Picker;
  readonly #loads = new Map<number, BackendLoad>();

  constructor(options: ChooserOptions) {
    const members = Array.from(options.members, (backend) => new SimMember(backend, new BackendLoad({ staleAfterMs: options.staleAfterMs })));
    for (const member of members) this.#loads.set(member.index, member.load);
    this.#picker = options.policy.createPicker(members, options.deps, options.policyConfig);
  }

  pick(): number {
    const result = this.#picker.pick(HEAVY_REQUEST);
    if (result.kind !== 'backend') return -1;
    // As Balancer.pick does after every pick.
    result.backend.load.recordAssignment();
    return (result.backend as SimMember).index;
  }

  loadOf(backend: number): BackendLoad | undefined {
    return this.#loads.get(backend);
  }
}
