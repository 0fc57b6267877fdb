// Drives one stock proxy from data-plane states: HAProxy through its runtime API (a reload only for a policy
// switch), NGINX by a regenerated config and a graceful reload (SIGHUP to the master).
import { promises as fs } from 'node:fs';
import os from 'node:os';

import type { DataPlaneKind } from '../../core/dataplane/data-plane-kind.js';
import { needsNewBalance, type DataPlaneState } from '../../core/dataplane/data-plane-state.js';
import { haproxyConfig, haproxyRuntimeCommands } from '../../core/dataplane/haproxy-config.js';
import { nginxConfig } from '../../core/dataplane/nginx-config.js';
import { writeFileAtomic } from '../cluster/atomic-file.js';
import type { DataPlaneFiles } from './data-plane-files.js';
import { haproxyCommand } from './haproxy-runtime-api.js';
import { ProxyProcess } from './proxy-process.js';

/** Runtime-API commands per connection: HAProxy reads one line of commands at a time. */
const COMMANDS_PER_BATCH = 16;
/** A full resync of every slot this often, so a command lost to a reload is made good. */
const HAPROXY_RESYNC_MS = 5_000;

export interface DriverOptions {
  readonly kind: DataPlaneKind;
  readonly binary: string;
  readonly files: DataPlaneFiles;
  readonly listenHost: string;
  readonly listenPort: number;
  /** Every backend port of the cluster's layout and the host backends listen on (HAProxy's slots). */
  readonly backendHost: string;
  readonly backendPorts: readonly number[];
}

/** How a state was applied: nothing to do, runtime-API commands, or a reload of a new config. */
export type Applied = { readonly how: 'unchanged' } | { readonly how: 'runtime-api'; readonly commands: readonly string[] } | { readonly how: 'reload' };

export interface DataPlaneDriver {
  readonly process: ProxyProcess;
  apply(state: DataPlaneState): Promise<Applied>;
}

/** Writes the first config and starts the proxy on it. */
export async function startDriver(options: DriverOptions, state: DataPlaneState): Promise<DataPlaneDriver> {
  await fs.mkdir(options.files.tempDir, { recursive: true });
  return options.kind === 'haproxy' ? startHaproxy(options, state) : startNginx(options, state);
}

async function startHaproxy(options: DriverOptions, first: DataPlaneState): Promise<DataPlaneDriver> {
  const { files } = options;
  const slots = options.backendPorts.map((port) => ({ host: options.backendHost, port }));
  const write = (state: DataPlaneState): Promise<void> =>
    writeFileAtomic(
      files.config,
      haproxyConfig({ listenHost: options.listenHost, listenPort: options.listenPort, socketPath: files.socket, pidFile: files.pidFile, slots, state }),
    );
  await write(first);
  // -W: master-worker, so SIGUSR2 reloads (new worker on the new file, the old one finishes its calls); -db: foreground.
  const proxy = new ProxyProcess(options.binary, ['-W', '-db', '-f', files.config]);
  let current = first;
  let resyncAt = performance.now() + HAPROXY_RESYNC_MS;
  return {
    process: proxy,
    async apply(next) {
      if (needsNewBalance(current, next)) {
        await write(next);
        proxy.signal('SIGUSR2');
        current = next;
        return { how: 'reload' };
      }
      const isResync = performance.now() >= resyncAt;
      const commands = haproxyRuntimeCommands(options.backendPorts, isResync ? undefined : current, next);
      for (let start = 0; start < commands.length; start += COMMANDS_PER_BATCH) {
        await haproxyCommand(files.socket, commands.slice(start, start + COMMANDS_PER_BATCH));
      }
      current = next;
      if (isResync) resyncAt = performance.now() + HAPROXY_RESYNC_MS;
      return commands.length === 0 || isResync ? { how: 'unchanged' } : { how: 'runtime-api', commands };
    },
  };
}

async function startNginx(options: DriverOptions, first: DataPlaneState): Promise<DataPlaneDriver> {
  const { files } = options;
  // Run as root, NGINX's workers would switch to `nobody`, who cannot use the cluster's temp directories.
  const user = process.getuid?.() === 0 ? os.userInfo().username : undefined;
  const render = (state: DataPlaneState): string =>
    nginxConfig({ listenHost: options.listenHost, listenPort: options.listenPort, prefix: files.dir, state, ...(user === undefined ? {} : { user }) });
  let written = render(first);
  await writeFileAtomic(files.config, written);
  // -e stderr: errors before the config is read go to the role's log too, not to /var/log/nginx.
  const proxy = new ProxyProcess(options.binary, ['-e', 'stderr', '-p', files.dir, '-c', files.config]);
  return {
    process: proxy,
    async apply(next) {
      const config = render(next);
      if (config === written) return { how: 'unchanged' };
      await writeFileAtomic(files.config, config);
      written = config;
      proxy.signal('SIGHUP');
      return { how: 'reload' };
    },
  };
}
