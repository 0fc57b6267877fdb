// The policy registry: every policy lbx knows, looked up by short or long name.

import { LbxError } from '../lbx-error.js';
import { consistentHash } from './consistent-hash.js';
import { leastConnections } from './least-connections.js';
import { leastLoad } from './least-load.js';
import { peakEwma } from './peak-ewma.js';
import { pickFirst } from './pick-first.js';
import type { PolicyFactory } from './policy.js';
import { powerOfTwo } from './power-of-two.js';
import { prequal } from './prequal.js';
import { random } from './random.js';
import { roundRobin } from './round-robin.js';
import { weightedRoundRobin } from './weighted-round-robin.js';

export { consistentHash, leastConnections, leastLoad, peakEwma, pickFirst, powerOfTwo, prequal, random, roundRobin, weightedRoundRobin };

export const POLICIES: readonly PolicyFactory[] = [pickFirst, roundRobin, leastLoad, leastConnections, consistentHash, weightedRoundRobin, powerOfTwo, peakEwma, random, prequal];

/** Every accepted spelling, short names first (for oclif `options`, which match exactly). */
export const POLICY_CHOICES: readonly string[] = [...POLICIES.map((policy) => policy.shortName), ...POLICIES.map((policy) => policy.name)];

/** Finds a policy by short or long name, case-insensitively; a usage error names the choices. */
export function resolvePolicy(name: string): PolicyFactory {
  const wanted = name.trim().toLowerCase();
  const policy = POLICIES.find((candidate) => candidate.shortName === wanted || candidate.name === wanted);
  if (policy !== undefined) return policy;
  const choices = POLICIES.map((candidate) => `${candidate.shortName} (${candidate.name})`).join(', ');
  throw new LbxError('usage', `unknown policy "${name}"; expected one of: ${choices}`);
}
