// The data-plane role: run HAProxy or NGINX for a proxy-mode cluster and keep it in step with the LB's plan.
import type { Interfaces } from '@oclif/core';
// The flags module alone: a role process loads neither oclif's config nor the rest of its index (see role-entry.ts).
import * as Flags from '@oclif/core/flags';

import { durationFlag, hostFlag } from '../flags.js';
import { logEvent, logLine, runForever } from '../role-log.js';
import { MAX_BACKENDS } from '../../runtime/cluster/ports.js';

const KINDS = ['haproxy', 'nginx'] as const;

export const dataPlaneRoleFlags = {
  kind: Flags.option({ description: 'Which proxy to run.', options: KINDS, required: true })(),
  binary: Flags.string({ description: 'Path of its executable (default: the kind, found on PATH).' }),
  host: hostFlag,
  port: Flags.integer({ description: 'Port the proxy listens on for gRPC (h2c); lbx up uses base+108.', min: 1, max: 65_535, required: true }),
  'xds-addr': Flags.string({ description: "The LB's xDS port (host:base+107), whose plan gives members, DRAINING, weights and policy.", required: true }),
  'backend-host': Flags.string({ description: 'Host the backends listen on.', default: '127.0.0.1' }),
  'base-port': Flags.integer({ description: "The cluster's base port: backends are base+1 … base+64, each a server slot.", min: 1, max: 65_535, required: true }),
  'cluster-dir': Flags.string({ description: 'Cluster directory: the proxy keeps its config, pid file and socket under it.', required: true }),
  timeout: durationFlag({ description: 'How long to wait for the LB and for the proxy to listen.', minMs: 1_000, maxMs: 600_000, defaultMs: 30_000 }),
};

export async function serveDataPlane(flags: Interfaces.InferredFlags<typeof dataPlaneRoleFlags>): Promise<void> {
  const { startDataPlane } = await import('../../runtime/dataplane/data-plane-runner.js');
  const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  const basePort = flags['base-port'];
  const starting = startDataPlane({
    kind: flags.kind,
    binary: flags.binary ?? flags.kind,
    clusterDir: flags['cluster-dir'],
    listenHost: flags.host,
    listenPort: flags.port,
    xdsAddress: flags['xds-addr'],
    backendHost: flags['backend-host'],
    backendPorts: Array.from({ length: MAX_BACKENDS }, (_, index) => basePort + 1 + index),
    readyTimeoutMs: flags.timeout,
    onEvent: (event) => logEvent(event),
  });
  stopOnSignalOrOrphan(
    async (reason) => {
      logLine(`stopping ${flags.kind} (${reason})`);
      const running = await starting.catch(() => undefined);
      await running?.stop();
    },
    { onStopFailed: logLine },
  );
  const running = await starting;
  logLine(`${flags.kind} ready on ${running.address} (h2c), following the LB's plan at ${flags['xds-addr']}`);
  announceReady(running.address);
  void running.exited.then((exit) => {
    logLine(`${flags.kind} exited by itself (${exit.signal ?? `code ${exit.code}`}); exiting so the supervisor starts it again`);
    process.exit(1);
  });
  await runForever();
}
