// The load-balancer role: serve picks until stopped.
import { Flags, type Interfaces } from '@oclif/core';
import { clusterDirFlag, hostFlag, registryAddressFlag } from '../flags.js';
import { logEvent, logLine, runForever } from '../role-log.js';
import { POLICY_CHOICES, resolvePolicy } from '../../core/policies/index.js';
import { toPolicyConfig } from '../../core/policies/policy-config.js';
import { parseFactor } from '../number-lists.js';

export const lbRoleFlags = {
  host: hostFlag,
  port: Flags.integer({ description: 'gRPC port.', min: 1, max: 65_535, required: true }),
  policy: Flags.string({ description: `Load-balancing policy: ${POLICY_CHOICES.join(', ')}.`, default: 'rr' }),
  'registry-addr': registryAddressFlag,
  id: Flags.string({ description: 'Instance id in the registry (default: lb-<port>).' }),
  'report-interval': Flags.integer({ description: 'Load report interval the backends are asked for (ms).', min: 50, max: 60_000, default: 500 }),
  'check-interval': Flags.integer({ description: 'Registry health-check interval (ms).', min: 100, max: 60_000, default: 1_000 }),
  mode: Flags.string({ description: 'lookaside: clients call backends themselves; proxy: the LB also serves lbx.v1.Backend and forwards every task.', options: ['lookaside', 'proxy'], default: 'lookaside' }),
  'ring-slots': Flags.integer({ description: 'consistent_hash: slots on the ring (default 512).', min: 1, max: 65_536 }),
  vnodes: Flags.integer({ description: 'consistent_hash: virtual nodes per backend (default 9).', min: 1, max: 1_000 }),
  'ring-hash': Flags.string({ description: 'consistent_hash: murmur3 (default) or course (the source course\'s formulas).' }),
  'hash-balance': Flags.string({ description: 'consistent_hash: bounded-load factor, e.g. 1.25 (default: unbounded).' }),
  'cluster-dir': clusterDirFlag,
};

export async function serveLb(flags: Interfaces.InferredFlags<typeof lbRoleFlags>): Promise<void> {
  const policy = resolvePolicy(flags.policy);
  const { startLb } = await import('../../runtime/lb/lb-server.js');
  const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  const lb = await startLb({
    host: flags.host,
    port: flags.port,
    id: flags.id ?? `lb-${flags.port}`,
    policy,
    mode: flags.mode as 'lookaside' | 'proxy',
    policyConfig: toPolicyConfig({
      ringSlots: flags['ring-slots'],
      virtualNodes: flags.vnodes,
      ringHash: flags['ring-hash'],
      hashBalance: flags['hash-balance'] === undefined ? undefined : parseFactor('--hash-balance', flags['hash-balance'], 100),
    }),
    registryAddress: flags['registry-addr'],
    reportIntervalMs: flags['report-interval'],
    checkIntervalMs: flags['check-interval'],
    onEvent: (event) => logEvent(event),
  });
  stopOnSignalOrOrphan(async (reason) => {
    logLine(`stopping (${reason})`);
    await lb.stop(reason === 'supervisor-gone' ? 0 : 1_000);
  }, { onStopFailed: logLine });
  logLine(`load balancer ready on ${lb.address} (policy ${policy.name}, ${flags.mode} mode)`);
  announceReady(lb.address);
  await runForever();
}
