// The data-plane role's engine: start a stock proxy on the LB's current plan, follow the plan, stop the proxy.
//
// The LB publishes membership, DRAINING and weights (its xDS plan); polling it every POLL_INTERVAL_MS keeps
// this simple and self-healing (an LB restart, a lost answer: the next poll puts things right), and a kill
// between two polls costs no call: the proxy's own retries send it to another backend.
import { promises as fs } from 'node:fs';
import net from 'node:net';

import type { DataPlaneKind } from '../../core/dataplane/data-plane-kind.js';
import type { DataPlaneState } from '../../core/dataplane/data-plane-state.js';
import { formatHostPort } from '../../core/host-port.js';
import { LbxError } from '../../core/lbx-error.js';
import { describeError, waitFor } from '../process/wait-for.js';
import { dataPlaneFiles } from './data-plane-files.js';
import { startDriver, type DataPlaneDriver } from './data-plane-driver.js';
import { fetchDataPlaneState } from './plan-source.js';
import type { ProxyExit } from './proxy-process.js';

export const POLL_INTERVAL_MS = 200;

export type DataPlaneEvent =
  | { readonly type: 'dataplane-started'; readonly kind: DataPlaneKind; readonly pid: number; readonly config: string; readonly servers: string }
  | { readonly type: 'dataplane-applied'; readonly how: 'runtime-api' | 'reload'; readonly policy: string; readonly servers: string; readonly commands?: string }
  | { readonly type: 'dataplane-warning'; readonly message: string };

export interface DataPlaneOptions {
  readonly kind: DataPlaneKind;
  readonly binary: string;
  readonly clusterDir: string;
  readonly listenHost: string;
  readonly listenPort: number;
  readonly xdsAddress: string;
  readonly backendHost: string;
  readonly backendPorts: readonly number[];
  readonly readyTimeoutMs: number;
  readonly onEvent: (event: DataPlaneEvent) => void;
}

export interface RunningDataPlane {
  readonly address: string;
  /** Resolves when the proxy exits by itself (a crash): the role then exits and the supervisor starts it again. */
  readonly exited: Promise<ProxyExit>;
  stop(): Promise<void>;
}

/** "7001=ready/1 7002=drain/1": members as a log shows them. */
const describeServers = (state: DataPlaneState): string => state.servers.map((server) => `${server.port}=${server.state}/${server.weight}`).join(' ') || 'none';

/** Whether something accepts TCP connections at host:port now. */
function isListening(host: string, port: number): Promise<true> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', reject);
  });
}

export async function startDataPlane(options: DataPlaneOptions): Promise<RunningDataPlane> {
  const { kind, onEvent } = options;
  const files = dataPlaneFiles(options.clusterDir, kind);
  const fetchState = (): Promise<DataPlaneState> => fetchDataPlaneState(kind, options.xdsAddress, options.clusterDir);
  const first = await waitFor(fetchState, { description: `the LB's plan at ${options.xdsAddress}`, timeoutMs: options.readyTimeoutMs, intervalMs: 100 });
  const driver = await startDriver({ ...options, files }, first);
  onEvent({ type: 'dataplane-started', kind, pid: driver.process.pid, config: files.config, servers: describeServers(first) });
  const address = formatHostPort(options.listenHost, options.listenPort);
  const early = driver.process.exited.then((exit) => {
    throw new LbxError('runtime', `${kind} exited (${exit.signal ?? `code ${exit.code}`}) before it listened on ${address}; see its lines above`);
  });
  await Promise.race([waitFor(() => isListening(options.listenHost, options.listenPort), { description: `${kind} on ${address}`, timeoutMs: options.readyTimeoutMs }), early]);
  early.catch(() => undefined);
  const poller = followPlan(driver, fetchState, onEvent);
  return {
    address,
    exited: driver.process.exited,
    async stop() {
      poller.stop();
      await driver.process.stop();
      await Promise.all([files.socket, files.pidFile].map((file) => fs.rm(file, { force: true })));
    },
  };
}

/** Polls the plan and applies it; one poll at a time; a warning only when its words change, so a long outage logs once. */
function followPlan(driver: DataPlaneDriver, fetchState: () => Promise<DataPlaneState>, onEvent: (event: DataPlaneEvent) => void): { stop(): void } {
  let isPolling = false;
  let lastWarning = '';
  const poll = async (): Promise<void> => {
    if (isPolling || !driver.process.running) return;
    isPolling = true;
    try {
      const state = await fetchState();
      const applied = await driver.apply(state);
      lastWarning = '';
      if (applied.how === 'unchanged') return;
      const commands = applied.how === 'runtime-api' ? { commands: applied.commands.join('; ') } : {};
      onEvent({ type: 'dataplane-applied', how: applied.how, policy: state.policy, servers: describeServers(state), ...commands });
    } catch (error) {
      const message = describeError(error);
      if (message !== lastWarning) onEvent({ type: 'dataplane-warning', message });
      lastWarning = message;
    } finally {
      isPolling = false;
    }
  };
  const timer = setInterval(() => void poll(), POLL_INTERVAL_MS);
  return { stop: () => clearInterval(timer) };
}
