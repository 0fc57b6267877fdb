// The contract every load-balancing policy implements: a factory that builds an immutable picker.
//
// Modelled on grpc-js: the balancer (src/core/balancer.ts) owns membership and rebuilds the
// picker in one place whenever membership or health changes; pick() is synchronous,
// cheap, and returns a tagged union. Load figures are read live from each backend's
// BackendLoad, so a picker need not be rebuilt when only load changes.

import type { BackendLoad } from '../load/backend-load.js';

export type TaskKind = 'SIMPLE' | 'CPU_HEAVY';

/** One eligible backend as a picker sees it. Pickers never mutate `address` or `id`. */
export interface PickableBackend {
  /** host:port; unique within a cluster, and the identity pickers key on. */
  readonly address: string;
  readonly id: string;
  /** Relative capacity (weighted policies); 1 unless the backend registered another. */
  readonly weight: number;
  /** Live load figures; least-load reads them, the LB records assignments on them. */
  readonly load: BackendLoad;
}

export interface PickRequest {
  readonly taskKind: TaskKind;
  /** Affinity key (consistent hashing uses it); empty when the client sent none. */
  readonly key: string;
  /** Addresses to skip for this pick: the client just saw them fail. */
  readonly exclude: ReadonlySet<string>;
}

/** Outcome of a finished call, for policies that learn from calls (proxy mode, later issues). */
export interface CallOutcome {
  readonly ok: boolean;
  readonly latencyMs: number;
}

export type PickResult =
  | {
      readonly kind: 'backend';
      readonly backend: PickableBackend;
      /** Call when the request ends; look-aside mode never sees the end, so it may go uncalled. */
      readonly onDone: (outcome: CallOutcome) => void;
    }
  | { readonly kind: 'unavailable'; readonly reason: string };

export interface Picker {
  pick(request: PickRequest): PickResult;
}

/** What a picker may use instead of reading clocks or randomness itself. */
export interface PickerDeps {
  /** Uniform in [0, 1), like Math.random; seeded in tests. */
  readonly random: () => number;
  /** Milliseconds on a monotonic clock; injected so tests control staleness. */
  readonly nowMs: () => number;
}

/** Settings some policies take (`lbx up --ring-slots …`); each policy validates what it reads. */
export interface PolicyConfig {
  /** consistent_hash: slots on the ring (default 512, as in the source course). */
  readonly ringSlots?: number;
  /** consistent_hash: virtual nodes per backend (default 9). */
  readonly virtualNodes?: number;
  /** consistent_hash: 'murmur3' (default) or 'course' (the source's polynomial slot formulas). */
  readonly ringHash?: 'murmur3' | 'course';
  /** consistent_hash: bounded-load factor c ≥ 1 (Mirrokni et al. 2018); absent = unbounded. */
  readonly hashBalance?: number;
}

export interface PolicyFactory {
  /** Long name, as shown in reports: 'round_robin'. */
  readonly name: PolicyName;
  /** Short name accepted by --policy: 'rr'. */
  readonly shortName: string;
  /** One line for --help and the README. */
  readonly description: string;
  /**
   * Builds a picker over `backends`, which the balancer passes already filtered to the
   * healthy ones and sorted by address (a stable order pick-first relies on).
   */
  createPicker(backends: readonly PickableBackend[], deps: PickerDeps, config?: PolicyConfig): Picker;
}

export const POLICY_NAMES = [
  'pick_first',
  'round_robin',
  'least_load',
  'least_connections',
  'consistent_hash',
  'weighted_round_robin',
  'power_of_two',
  'peak_ewma',
  'random',
  'prequal',
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** onDone for policies that do not learn from calls; one shared constant, so it allocates nothing per pick. */
export const IGNORE_OUTCOME: (outcome: CallOutcome) => void = () => {};

/** Why a pick found nothing (call it only then): no healthy backend at all, or the client excluded every one. */
export function describeUnavailable(backends: readonly PickableBackend[]): string {
  if (backends.length === 0) return 'no healthy backend';
  if (backends.length === 1) return `the only healthy backend (${backends[0]?.address}) is excluded by the client`;
  return `all ${backends.length} healthy backends excluded by the client`;
}
