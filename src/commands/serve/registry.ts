import { Flags, type Interfaces } from '@oclif/core';

import { LbxCommand } from '../../cli/lbx-command.js';
import { clusterDirFlag, hostFlag } from '../../cli/flags.js';
import { logEvent, logLine, runForever } from '../../cli/role-log.js';

export default class ServeRegistry extends LbxCommand {
  static override description = `Run the embedded registry: a single-machine server for the subset of Consul's HTTP API lbx uses.

It is not replicated and serves one machine; for several machines run a real Consul.`;

  static override examples = ['<%= config.bin %> serve registry --port 7102'];

  static override flags = {
    host: hostFlag,
    port: Flags.integer({ description: 'HTTP port.', min: 1, max: 65_535, required: true }),
    'cluster-dir': clusterDirFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ServeRegistry);
    await ServeRegistry.serve(flags);
  }

  /** Runs the role with parsed flags; also the entry of the lean start path (src/cli/role-entry.ts). */
  static async serve(flags: Interfaces.InferredFlags<typeof ServeRegistry.flags>): Promise<void> {
    const { startEmbeddedRegistry } = await import('../../runtime/registry/embedded/embedded-registry.js');
    const { announceReady, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
    const registry = await startEmbeddedRegistry({ host: flags.host, port: flags.port, onEvent: (event) => logEvent(event as never) });
    stopOnSignalOrOrphan(async (reason) => {
      logLine(`stopping (${reason})`);
      await registry.close();
    });
    logLine(`embedded registry listening on ${registry.address} (single node, not replicated)`);
    announceReady(registry.address);
    await runForever();
  }
}
