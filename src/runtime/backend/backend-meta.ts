// The registry meta a backend announces itself with (role, weight, speed, as strings), and how the LB reads it back.
//
// With its traits in the registry, an LB that restarts learns every backend's weight from its
// first registry snapshot, before any backend has registered with it again.
import type { BackendTraits } from '../../core/balancer.js';

/** The bounds RegisterServer enforces; meta outside them is ignored like any other malformed meta. */
import { MAX_WEIGHT, MIN_WEIGHT } from '../../core/trait-bounds.js';
const MIN_SPEED = 0.01;
const MAX_SPEED = 100;

/** A plain decimal: no sign, exponent, hex or blanks, which Number() would otherwise accept. */
const DECIMAL = /^\d+(?:\.\d+)?$/;

export function backendMeta(traits: BackendTraits): Record<string, string> {
  return { role: 'backend', weight: String(traits.weight), speed: String(traits.speed) };
}

/**
 * The traits in an instance's meta; undefined when either is absent or malformed, so the LB
 * uses its defaults for a new member and keeps what an existing one told it over RPC.
 */
export function traitsFromMeta(meta: Readonly<Record<string, string>>): BackendTraits | undefined {
  const weight = parseDecimal(meta['weight']);
  const speed = parseDecimal(meta['speed']);
  if (weight === undefined || !(weight >= MIN_WEIGHT && weight <= MAX_WEIGHT)) return undefined;
  if (speed === undefined || !(speed >= MIN_SPEED && speed <= MAX_SPEED)) return undefined;
  return { weight, speed };
}

function parseDecimal(text: string | undefined): number | undefined {
  return text !== undefined && DECIMAL.test(text) ? Number(text) : undefined;
}
