// What `lbx chaos --kinds` may do each tick: kill (as before), one of the gray failures, or a network partition
// (`up --netns` clusters), each a fixed, documented fault that clears itself after two ticks, so at most about two
// backends are faulted at a time.
import { NO_FAULT, type FaultSpec } from './fault.js';
import { NO_NET_FAULT, type NetFaultSpec } from './net-fault.js';

export const CHAOS_KINDS = ['kill', 'latency', 'errors', 'hang', 'slow', 'partition'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];
/** Every kind but kill: a fault set on a backend that clears itself. */
export type ChaosStrikeKind = Exclude<ChaosKind, 'kill'>;
/** The faults the backend itself applies. */
export type ChaosFaultKind = Exclude<ChaosStrikeKind, 'partition'>;

/** The fault each kind injects: latency 200 ms ± 50 ms; 10% UNAVAILABLE; 2% hang; CPU work ×4. */
const PRESETS: Readonly<Record<ChaosFaultKind, Partial<FaultSpec>>> = {
  latency: { latencyMs: 200, jitterMs: 50 },
  errors: { errorRate: 0.1 },
  hang: { hangRate: 0.02 },
  slow: { slowdown: 4 },
};

/** A fault lasts this many chaos ticks, at least this long. */
const TICKS_PER_FAULT = 2;
const MIN_FAULT_MS = 1_000;

const faultDurationMs = (intervalMs: number): number => Math.max(MIN_FAULT_MS, TICKS_PER_FAULT * intervalMs);

export function chaosFault(kind: ChaosFaultKind, intervalMs: number): FaultSpec {
  return { ...NO_FAULT, ...PRESETS[kind], durationMs: faultDurationMs(intervalMs) };
}

/** A partition: the backend's veth down for two ticks (at least a second), so its lease lapses and it is ejected. */
export function chaosPartition(intervalMs: number): NetFaultSpec {
  return { ...NO_NET_FAULT, partition: true, durationMs: faultDurationMs(intervalMs) };
}

/** The kinds a user asked for ("kill,latency"); unknown ones are named. Partition needs a --netns cluster, which the caller checks. */
export function parseChaosKinds(text: string): { readonly ok: true; readonly kinds: readonly ChaosKind[] } | { readonly ok: false; readonly message: string } {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) return { ok: false, message: `--kinds "${text}": expected a comma-separated list of ${CHAOS_KINDS.join(', ')}` };
  const unknown = names.filter((name) => !(CHAOS_KINDS as readonly string[]).includes(name));
  if (unknown.length > 0) return { ok: false, message: `--kinds "${text}": unknown kind ${unknown.map((name) => `"${name}"`).join(', ')}; expected ${CHAOS_KINDS.join(', ')}` };
  return { ok: true, kinds: [...new Set(names as ChaosKind[])] };
}
