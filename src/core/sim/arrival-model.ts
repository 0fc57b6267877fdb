// How requests arrive in a simulation: open (Poisson, or Poisson bursts) at a rate, or closed (a fixed number in flight, as `lbx send --concurrency`).

import { LbxError } from '../lbx-error.js';

export type ArrivalSpec =
  | { readonly kind: 'poisson' }
  /** Batches of `size` requests at once, the batches a Poisson stream: the same mean rate, far burstier. */
  | { readonly kind: 'burst'; readonly size: number }
  /** `concurrency` requests in flight at all times (each ended one starts the next), like `lbx send`. */
  | { readonly kind: 'closed'; readonly concurrency: number }
  /** A saved `lbx send` run replayed: its task count and concurrency, closed-loop (the runtime reads the file). */
  | { readonly kind: 'replay'; readonly file: string };

export const ARRIVAL_FORMS = 'poisson, burst:N, closed:C or replay:<run file>';

export function parseArrivalSpec(text: string): ArrivalSpec {
  const trimmed = text.trim();
  const lower = trimmed.toLowerCase();
  if (lower === 'poisson') return { kind: 'poisson' };
  if (lower.startsWith('replay:') && trimmed.length > 'replay:'.length) return { kind: 'replay', file: trimmed.slice('replay:'.length) };
  const match = /^(burst|closed):(\d+)$/.exec(lower);
  const count = match ? Number(match[2]) : 0;
  if (match && count >= 1 && count <= 10_000_000) return match[1] === 'burst' ? { kind: 'burst', size: count } : { kind: 'closed', concurrency: count };
  throw new LbxError('usage', `--arrival "${text}": expected ${ARRIVAL_FORMS} (N, C whole numbers from 1)`);
}

/** True when requests come at a rate (so --rate or --load applies). */
export const isOpenArrival = (spec: ArrivalSpec): boolean => spec.kind === 'poisson' || spec.kind === 'burst';
