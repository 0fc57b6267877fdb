// What chaos drives (the slice of the control API it needs) and what it reports, apart from the loop so its helpers can share them.
import type { FaultSpec } from '../../core/faults/fault.js';
import type { NetFaultSpec } from '../../core/faults/net-fault.js';
import type { BackendChange, ClusterStatus, KillBackendResponse } from '../wire/gen/lbx/v1/supervisor.js';

/** What chaos may kill; one is drawn each round. */
export const CHAOS_TARGETS = ['backend', 'lb', 'registry'] as const;
export type ChaosTarget = (typeof CHAOS_TARGETS)[number];

/** The part of the control API chaos needs (ControlClient has it). */
export interface ChaosControl {
  status(): Promise<ClusterStatus>;
  killComponent(component: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<KillBackendResponse>;
  startBackend(port: number, timeoutMs: number): Promise<BackendChange>;
}

/** How chaos injects and clears gray failures (ClusterFaults has it). */
export interface ChaosFaults {
  set(port: number, fault: FaultSpec): Promise<{ readonly summary: string }>;
  /** Network faults (partition), in `up --netns` clusters only (ClusterNetFaults has it). */
  setNet?(port: number, fault: NetFaultSpec): Promise<{ readonly summary: string }>;
}

export interface ChaosAction {
  /** Milliseconds since chaos began. */
  readonly atMs: number;
  readonly kind: 'killed' | 'started' | 'faulted' | 'cleared' | 'skipped' | 'failed';
  readonly component: string;
  readonly detail: string;
}
