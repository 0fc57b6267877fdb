// What `lbx chaos --kinds` may do each tick: kill (as before) or one of the gray failures, each a fixed, documented
// fault that clears itself after two ticks, so at most about two backends are gray at a time.
import { NO_FAULT, type FaultSpec } from './fault.js';

export const CHAOS_KINDS = ['kill', 'latency', 'errors', 'hang', 'slow'] as const;
export type ChaosKind = (typeof CHAOS_KINDS)[number];
export type ChaosFaultKind = Exclude<ChaosKind, 'kill'>;

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

export function chaosFault(kind: ChaosFaultKind, intervalMs: number): FaultSpec {
  return { ...NO_FAULT, ...PRESETS[kind], durationMs: Math.max(MIN_FAULT_MS, TICKS_PER_FAULT * intervalMs) };
}

/** The kinds a user asked for ("kill,latency"); unknown ones and partition (which needs network namespaces) are named. */
export function parseChaosKinds(text: string): { readonly ok: true; readonly kinds: readonly ChaosKind[] } | { readonly ok: false; readonly message: string } {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) return { ok: false, message: `--kinds "${text}": expected a comma-separated list of ${CHAOS_KINDS.join(', ')}` };
  if (names.includes('partition')) return { ok: false, message: '--kinds partition needs backends in their own network namespaces (lbx up --netns), which lbx does not have yet' };
  const unknown = names.filter((name) => !(CHAOS_KINDS as readonly string[]).includes(name));
  if (unknown.length > 0) return { ok: false, message: `--kinds "${text}": unknown kind ${unknown.map((name) => `"${name}"`).join(', ')}; expected ${CHAOS_KINDS.join(', ')}` };
  return { ok: true, kinds: [...new Set(names as ChaosKind[])] };
}
