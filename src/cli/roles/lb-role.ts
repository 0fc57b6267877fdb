// The load-balancer role: serve picks until stopped.
import type { Interfaces } from '@oclif/core';
// The flags module alone: a role process loads neither oclif's config nor the rest of its index (see role-entry.ts).
import * as Flags from '@oclif/core/flags';
import { clusterDirFlag, durationFlag, hostFlag, registryAddressFlag, registryClusterFlag, registryConnectionFromFlags, registryKindFlag, tokenFileFlag } from '../flags.js';
import { logEvent, logLine, runForever } from '../role-log.js';
import { POLICY_CHOICES, resolvePolicy } from '../../core/policies/index.js';
import { policyConfigFlags, policyConfigFromFlags } from '../policy-flags.js';
import { outlierDetectionFlag, successRateFlags, successRateFromFlags, withOutlierDetection, withSuccessRate } from '../outlier-flags.js';
import { LB_MODES } from '../../runtime/lb/lb-mode.js';
import { DEFAULT_PROXY_FORWARDING, PROXY_FORWARDINGS } from '../../runtime/lb/proxy-forwarding.js';
import { XDS_LOAD_WEIGHTS } from '../../core/xds/xds-plan.js';

export const lbRoleFlags = {
  host: hostFlag,
  port: Flags.integer({ description: 'gRPC port.', min: 1, max: 65_535, required: true }),
  policy: Flags.string({ description: `Load-balancing policy: ${POLICY_CHOICES.join(', ')}.`, default: 'rr' }),
  'registry-addr': registryAddressFlag,
  registry: registryKindFlag,
  cluster: registryClusterFlag,
  id: Flags.string({ description: 'Instance id in the registry (default: lb-<port>).' }),
  'report-interval': durationFlag({ description: 'Load report interval the backends are asked for (50ms–1m).', minMs: 50, maxMs: 60_000, defaultMs: 500 }),
  'check-interval': durationFlag({ description: 'Registry health-check interval (100ms–1m).', minMs: 100, maxMs: 60_000, defaultMs: 1_000 }),
  mode: Flags.option({
    description: 'lookaside: clients call backends themselves; proxy: the LB also serves lbx.v1.Backend and forwards every task.',
    options: LB_MODES,
    default: 'lookaside' as const,
  })(),
  'proxy-forwarding': Flags.option({
    description:
      "Proxy mode: relay = pass each task's HTTP/2 frames through to the picked backend with lbx's own framing (only headers decoded); h2 = the same with node:http2 streams; grpc = decode and re-encode it in grpc-js. h2 and grpc are the older, slower paths, kept to compare. Also LBX_PROXY_FORWARDING.",
    options: PROXY_FORWARDINGS,
    default: DEFAULT_PROXY_FORWARDING,
    env: 'LBX_PROXY_FORWARDING',
  })(),
  ...policyConfigFlags,
  'metrics-port': Flags.integer({ description: 'Serve Prometheus metrics at http://HOST:PORT/metrics (0 = off; lbx up uses base+106).', min: 0, max: 65_535, default: 0 }),
  'slow-start': durationFlag({ description: "Ramp a joining backend's share of new work over this window (0 = off; up to 10m).", minMs: 0, maxMs: 600_000, defaultMs: 0 }),
  ...successRateFlags,
  ...outlierDetectionFlag,
  'xds-port': Flags.integer({ description: 'Serve xDS (ADS, v3) to stock gRPC clients on this port (0 = off; lbx up uses base+107).', min: 0, max: 65_535, default: 0 }),
  'xds-load-weights': Flags.option({
    description:
      "Where stock xDS clients get a load-aware policy's (ll, lc, p2c, ewma) weights: lb = computed by the LB from load reports and pushed in EDS; orca = each client's weighted_round_robin weighs the backends' ORCA reports.",
    options: XDS_LOAD_WEIGHTS,
    default: 'lb' as const,
  })(),
  'token-file': tokenFileFlag,
  'cluster-dir': clusterDirFlag,
};

export async function serveLb(flags: Interfaces.InferredFlags<typeof lbRoleFlags>): Promise<void> {
  const policy = resolvePolicy(flags.policy);
  const { startLb } = await import('../../runtime/lb/lb-server.js');
  const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  const starting = startLb({
    host: flags.host,
    port: flags.port,
    id: flags.id ?? `lb-${flags.port}`,
    policy,
    mode: flags.mode,
    proxyForwarding: flags['proxy-forwarding'],
    policyConfig: policyConfigFromFlags(flags),
    registry: registryConnectionFromFlags(flags),
    reportIntervalMs: flags['report-interval'],
    checkIntervalMs: flags['check-interval'],
    ...(flags['token-file'] ? { tokenFile: flags['token-file'] } : {}),
    ...(flags['metrics-port'] > 0 ? { metricsPort: flags['metrics-port'] } : {}),
    ...(flags['xds-port'] > 0 ? { xdsPort: flags['xds-port'] } : {}),
    ...(flags['slow-start'] > 0 ? { slowStartMs: flags['slow-start'] } : {}),
    ...withSuccessRate(successRateFromFlags(flags)),
    ...withOutlierDetection(flags['outlier-detection']),
    xdsLoadWeights: flags['xds-load-weights'],
    onEvent: (event) => logEvent(event),
  });
  // Listening for SIGTERM before start-up ends, so an LB stopped while it registers deregisters too.
  stopOnSignalOrOrphan(
    async (reason) => {
      logLine(`stopping (${reason})`);
      const lb = await starting.catch(() => undefined);
      await lb?.stop(reason === 'supervisor-gone' ? 0 : 1_000);
    },
    { onStopFailed: logLine },
  );
  const lb = await starting;
  logLine(
    `load balancer ready on ${lb.address} (policy ${policy.name}, ${flags.mode} mode${flags.mode === 'proxy' ? `, ${flags['proxy-forwarding']} forwarding` : ''}, ${flags.registry} registry at ${flags['registry-addr']})`,
  );
  // Under a supervisor the token guards membership; a hand-started LB has none, and says so.
  if (!flags['token-file']) {
    logLine('warning: no --token-file: RegisterServer, DeregisterServer, ReportLoad and SetPolicy are open to anyone who can reach this LB');
  }
  announceReady(lb.address);
  await runForever();
}
