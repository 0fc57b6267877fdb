// The embedded-registry role: serve the Consul API subset until stopped.
import type { Interfaces } from '@oclif/core';
// The flags module alone: a role process loads neither oclif's config nor the rest of its index (see role-entry.ts).
import * as Flags from '@oclif/core/flags';
import { clusterDirFlag, hostFlag } from '../flags.js';
import { logEvent, logLine, runForever } from '../role-log.js';

export const registryRoleFlags = {
  host: hostFlag,
  port: Flags.integer({ description: 'HTTP port.', min: 1, max: 65_535, required: true }),
  'cluster-dir': clusterDirFlag,
};

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare) || /^::ffff:127(\.\d{1,3}){3}$/.test(bare);
}

export async function serveRegistry(flags: Interfaces.InferredFlags<typeof registryRoleFlags>): Promise<void> {
  const { startEmbeddedRegistry } = await import('../../runtime/registry/embedded/embedded-registry.js');
  const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  const { readTokenFile, tokenFile } = await import('../../runtime/cluster/cluster-token.js');
  // Under a supervisor the cluster token guards writes, as the LB's state-changing calls.
  const file = flags['cluster-dir'] === undefined ? undefined : tokenFile({ dir: flags['cluster-dir'] });
  const acl = file === undefined ? {} : { token: readTokenFile(file), tokenSource: file };
  const registry = await startEmbeddedRegistry({ host: flags.host, port: flags.port, ...acl, onEvent: (event) => logEvent(event as never) });
  stopOnSignalOrOrphan(
    async (reason) => {
      logLine(`stopping (${reason})`);
      await registry.close();
    },
    { onStopFailed: logLine },
  );
  logLine(`embedded registry listening on ${registry.address} (single node, not replicated)`);
  if (!isLoopbackHost(flags.host)) {
    logLine(
      `warning: the embedded registry is single-node and not replicated: it serves one machine, though --host ${flags.host} lets others reach it; ` +
        'for several machines run a real Consul or etcd cluster and point roles at it (lbx serve lb|backend --registry consul|etcd --registry-addr HOST:PORT)',
    );
  }
  if (file === undefined) logLine('warning: no --cluster-dir, so no cluster token: registering and deregistering are open to anyone who can reach this registry');
  announceReady(registry.address);
  await runForever();
}
