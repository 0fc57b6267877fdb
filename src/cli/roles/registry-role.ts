// The embedded-registry role: serve the Consul API subset until stopped.
import { Flags, type Interfaces } from '@oclif/core';
import { clusterDirFlag, hostFlag } from '../flags.js';
import { logEvent, logLine, runForever } from '../role-log.js';

export const registryRoleFlags = {
  host: hostFlag,
  port: Flags.integer({ description: 'HTTP port.', min: 1, max: 65_535, required: true }),
  'cluster-dir': clusterDirFlag,
};

export async function serveRegistry(flags: Interfaces.InferredFlags<typeof registryRoleFlags>): Promise<void> {
  const { startEmbeddedRegistry } = await import('../../runtime/registry/embedded/embedded-registry.js');
  const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  const registry = await startEmbeddedRegistry({ host: flags.host, port: flags.port, onEvent: (event) => logEvent(event as never) });
  stopOnSignalOrOrphan(async (reason) => {
    logLine(`stopping (${reason})`);
    await registry.close();
  }, { onStopFailed: logLine });
  logLine(`embedded registry listening on ${registry.address} (single node, not replicated)`);
  announceReady(registry.address);
  await runForever();
}
