// Where a registry is and the defaults every registry adapter shares (timeouts of calls and watches).
import { LbxError } from '../../core/lbx-error.js';

export const DEFAULT_REGISTRY_PORT = 8500;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
export const DEFAULT_WATCH_WAIT_MS = 30_000;
export const DEFAULT_WATCH_RETRY_MAX_MS = 2_000;

/** host and port of "host:port", "[v6]:port", "host" (port 8500) or "http://host:port". */
export function parseRegistryAddress(address: string): { host: string; port: number } {
  const bare = address
    .trim()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '');
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(bare);
  const port = match?.[3] === undefined ? DEFAULT_REGISTRY_PORT : Number(match[3]);
  if (match === null || !(port >= 1 && port <= 65_535)) {
    throw new LbxError('usage', `registry address ${JSON.stringify(address)} is not host:port`, ['e.g. --registry-addr 127.0.0.1:8500']);
  }
  return { host: match[1] !== undefined ? `[${match[1]}]` : (match[2] ?? ''), port };
}
