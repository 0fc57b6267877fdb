// The consistent-hash settings flags shared by `up`, `policy` and the LB role, and their PolicyConfig.
import * as Flags from '@oclif/core/flags';

import type { PolicyConfig } from '../core/policies/policy.js';
import { LbxError } from '../core/lbx-error.js';
import { toPolicyConfig } from '../core/policies/policy-config.js';
import { parseFactor } from './number-lists.js';

/** Highest bounded-load factor accepted: beyond it the bound never binds. */
const MAX_HASH_BALANCE = 100;

export const policyConfigFlags = {
  'ring-slots': Flags.integer({ description: 'consistent_hash: slots on the ring (default 512).', min: 1, max: 65_536 }),
  vnodes: Flags.integer({ description: 'consistent_hash: virtual nodes per backend (default 9).', min: 1, max: 1_000 }),
  'ring-hash': Flags.string({ description: "consistent_hash: murmur3 (default), or course to reproduce the source course's skewed formulas." }),
  'hash-balance': Flags.string({ description: 'consistent_hash with bounded loads: no backend takes more than this factor × the average, e.g. 1.25 (default: unbounded).' }),
};

export interface PolicyConfigFlagValues {
  readonly 'ring-slots'?: number;
  readonly vnodes?: number;
  readonly 'ring-hash'?: string;
  readonly 'hash-balance'?: string;
}

/** The policy the settings flags configure: given with another, they would do nothing, silently. */
const SETTINGS_POLICY = 'consistent_hash';

/** A usage error when consistent-hash settings are given with another policy (`policy rr --hash-balance 2`). */
export function checkPolicySettingsApply(policyName: string, flags: PolicyConfigFlagValues): void {
  if (policyName === SETTINGS_POLICY) return;
  const given = (Object.keys(policyConfigFlags) as Array<keyof PolicyConfigFlagValues>).filter((name) => flags[name] !== undefined);
  if (given.length === 0) return;
  throw new LbxError('usage', `${given.map((name) => `--${name}`).join(', ')} ${given.length > 1 ? 'apply' : 'applies'} to consistent_hash (ch) only, not ${policyName}`, [
    `drop ${given.length > 1 ? 'them' : 'it'}, or use ${given.length > 1 ? 'them' : 'it'} with consistent_hash (ch)`,
  ]);
}

/** Only the settings given; usage errors name the flag and the value. */
export function policyConfigFromFlags(flags: PolicyConfigFlagValues): PolicyConfig {
  return toPolicyConfig({
    ringSlots: flags['ring-slots'],
    virtualNodes: flags.vnodes,
    ringHash: flags['ring-hash'],
    hashBalance: flags['hash-balance'] === undefined ? undefined : parseFactor('--hash-balance', flags['hash-balance'], MAX_HASH_BALANCE),
  });
}
