// Starts the embedded registry: the catalog, its checks and the HTTP API on one listening socket.

import http from 'node:http';
import os from 'node:os';
import { LbxError } from '../../../core/lbx-error.js';
import { MAX_SCALED_CHECK_INTERVAL_MS } from '../../../core/scale/idle-cost.js';
import { CatalogState } from './catalog-state.js';
import { createHttpApi } from './http-api.js';
import { DEFAULT_CATALOG_LIMITS, LocalAgent, type CatalogLimits } from './local-agent.js';
import type { RegistryEvent } from './registry-events.js';
import { formatHostPort } from './tcp-probe.js';

/** Longer than the slowest check interval, so a keep-registered ask finds its connection still open. */
const REGISTRY_KEEP_ALIVE_MS = MAX_SCALED_CHECK_INTERVAL_MS + 5_000;

export type { RegistryEvent, DeregisterReason } from './registry-events.js';
export { REGISTRY_IDENTITY, REGISTRY_IDENTITY_HEADER } from './http-api.js';
export { DEFAULT_CATALOG_LIMITS, type CatalogLimits } from './local-agent.js';

export interface EmbeddedRegistryOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The node name shown in listings; defaults to the host name, as Consul's does. */
  nodeName?: string;
  /**
   * The cluster token: every write (register, deregister, check updates) must present it, as a
   * Consul client presents its ACL token. Without one, writes are open to anyone who can connect.
   */
  token?: string;
  /** Where clients find the token, for the refusal's message (e.g. the token file's path). */
  tokenSource?: string;
  limits?: CatalogLimits;
  onEvent?: (event: RegistryEvent) => void;
}

export interface EmbeddedRegistry {
  /** host:port, as clients pass it to --registry-addr (127.0.0.1 when bound to a wildcard host). */
  address: string;
  port: number;
  /** Stops checks, answers pending blocking queries, and closes the server and all its connections. */
  close(): Promise<void>;
}

// Hosts that mean "every interface" and so name no address a client could dial.
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** Listens on host:port and serves the Consul API subset; rejects with an LbxError naming the address if it cannot. */
export async function startEmbeddedRegistry(options: EmbeddedRegistryOptions): Promise<EmbeddedRegistry> {
  const { host, onEvent } = options;
  const emit = (event: RegistryEvent): void => {
    try {
      onEvent?.(event);
    } catch {
      // A failing log sink must not break the catalog update that produced the event.
    }
  };

  let boundPort = options.port;
  // Bound to every interface, it still has to name one address for clients, leader and node: loopback.
  const advertisedHost = WILDCARD_HOSTS.has(host) ? '127.0.0.1' : host;
  const state = new CatalogState({ nodeName: options.nodeName ?? os.hostname(), nodeAddress: advertisedHost });
  const agent = new LocalAgent(state, emit, Date.now, options.limits ?? DEFAULT_CATALOG_LIMITS);
  const acl = { token: options.token, tokenSource: options.tokenSource ?? 'the cluster token file (control.token in the cluster directory)' };
  const server = http.createServer(createHttpApi({ state, agent, acl, self: () => ({ host: advertisedHost, port: boundPort }) }));
  // Each backend asks whether it is still registered once a check interval (up to 10 s in a big cluster). Node's 5 s
  // keep-alive closed its connection in between, so every ask dialled anew; kept longer, the ask reuses it
  // (an idle backend of a 64-backend cluster: 2.12-2.37 ms/s of CPU against 2.39-2.54, runs alternated).
  server.keepAliveTimeout = REGISTRY_KEEP_ALIVE_MS;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: options.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    agent.close();
    const code = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new LbxError('runtime', `embedded registry could not listen on ${formatHostPort(host, options.port)} (${code})`, [], {
      cause: error,
    });
  }
  const bound = server.address();
  if (bound !== null && typeof bound === 'object') boundPort = bound.port;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      agent.close();
      state.releaseWaiters();
      // Let the released blocking queries write their replies before their sockets are closed.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    })();
    return closing;
  };

  return { address: formatHostPort(advertisedHost, boundPort), port: boundPort, close };
}
