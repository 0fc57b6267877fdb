// Policy settings from the wire or flags (0 / empty = default) into a PolicyConfig, and back into words for reports.
import { LbxError } from '../lbx-error.js';
import { BackendLoad } from '../load/backend-load.js';
import { resolveRingSettings } from './consistent-hash.js';
import type { PolicyConfig, PolicyFactory } from './policy.js';

export interface RawPolicyConfig {
  readonly ringSlots?: number;
  readonly virtualNodes?: number;
  readonly ringHash?: string;
  readonly hashBalance?: number;
}

const RING_HASHES = ['murmur3', 'course'] as const;

/** Drops unset values (0, ''); ranges are checked by the policy that reads them. */
export function toPolicyConfig(raw: RawPolicyConfig): PolicyConfig {
  const ringHash = raw.ringHash?.trim().toLowerCase() ?? '';
  if (ringHash !== '' && !(RING_HASHES as readonly string[]).includes(ringHash)) {
    throw new LbxError('usage', `unknown ring hash "${raw.ringHash}"; expected one of: ${RING_HASHES.join(', ')}`);
  }
  const config: PolicyConfig = {
    ...(raw.ringSlots ? { ringSlots: raw.ringSlots } : {}),
    ...(raw.virtualNodes ? { virtualNodes: raw.virtualNodes } : {}),
    ...(ringHash ? { ringHash: ringHash as PolicyConfig['ringHash'] } : {}),
    ...(raw.hashBalance ? { hashBalance: raw.hashBalance } : {}),
  };
  // Ring settings are checked whenever given, whatever the policy: they are saved and used later.
  if (Object.keys(config).length > 0) resolveRingSettings(config);
  return config;
}

/** "slots=512 vnodes=9 hash=murmur3 balance=1.25" — only what was set; '' when nothing was. */
export function formatPolicyConfig(config: PolicyConfig): string {
  return [
    config.ringSlots === undefined ? '' : `slots=${config.ringSlots}`,
    config.virtualNodes === undefined ? '' : `vnodes=${config.virtualNodes}`,
    config.ringHash === undefined ? '' : `hash=${config.ringHash}`,
    config.hashBalance === undefined ? '' : `balance=${config.hashBalance}`,
  ]
    .filter((part) => part !== '')
    .join(' ');
}

/** Throws the policy's own usage error if it cannot serve `backends` backends with `config`. */
export function checkPolicyFits(policy: PolicyFactory, config: PolicyConfig, backends: number): void {
  const standIns = Array.from({ length: backends }, (_, index) => ({
    address: `127.0.0.1:${index + 1}`,
    id: `backend-${index + 1}`,
    weight: 1,
    load: new BackendLoad(),
  }));
  policy.createPicker(standIns, { random: () => 0, nowMs: () => 0 }, config);
}
