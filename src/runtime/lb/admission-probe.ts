// How the LB makes sure an address is a live lbx backend before it gets picks, or while clients report it failing.
//
// RegisterServer names an address; nothing else proves a backend is there. Admitting whatever
// is named would let one bad (or hostile) caller fill the pick set with addresses where nothing
// listens, and every client would fail on them until outlier ejection (capped at half the
// members) caught up. RegisterServer calls carry the cluster token, so a TCP connect is enough
// there: it is what Consul's own check does, costs about a millisecond on loopback, and is made
// once per registration, not per pick. A registry entry proves less (a real Consul or etcd may
// take writes from anyone the operator allowed, and a TCP check passes for any listener), so it
// is admitted only once lbx.v1.Backend/GetLoad answers from that address naming that address.
import net from 'node:net';
import { credentials, type Client } from '@grpc/grpc-js';

import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { statusName } from '../grpc/status-errors.js';
import { HealthClient, HealthCheckResponse_ServingStatus as ServingStatus } from '../wire/gen/grpc/health/v1/health.js';
import { BackendClient } from '../wire/gen/lbx/v1/backend.js';

export const ADMISSION_TIMEOUT_MS = 500;
/** A registry entry's identity check: nobody waits on it, and a backend busy with a heavy slice answers within ~55 ms. */
export const IDENTITY_TIMEOUT_MS = 2_000;
/** The health probe a client's failure reports trigger (see Balancer.recordOutcome): short, it decides an ejection. */
export const HEALTH_PROBE_TIMEOUT_MS = 500;
/** The service name lbx backends report SERVING under in grpc.health.v1. */
export const BACKEND_HEALTH_SERVICE = 'lbx.v1.Backend';

/** Undefined when `address` (host:port) accepts a TCP connection within the timeout; otherwise why not. */
export function dialOnce(address: string, timeoutMs: number = ADMISSION_TIMEOUT_MS): Promise<string | undefined> {
  const { host, port } = splitAddress(address);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (failure: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => finish(`no connection within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => finish(undefined));
    socket.once('error', (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
  });
}

/**
 * Undefined when `address` serves lbx.v1.Backend and its GetLoad names this same address (an
 * lbx backend that knows where it listens); otherwise why not ("UNIMPLEMENTED: …", a timeout).
 */
export async function verifyBackendIdentity(address: string, timeoutMs: number = IDENTITY_TIMEOUT_MS): Promise<string | undefined> {
  return withClient(new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS), async (client) => {
    const load = await callUnary(client.getLoad.bind(client), {}, timeoutMs);
    return isSameAddress(load.address, address) ? undefined : `it says it is ${JSON.stringify(load.address.slice(0, 80))}, not ${address}`;
  });
}

/** Undefined when `address` answers grpc.health.v1 Check for lbx.v1.Backend with SERVING within the deadline; otherwise why not. */
export async function probeBackendHealth(address: string, timeoutMs: number = HEALTH_PROBE_TIMEOUT_MS): Promise<string | undefined> {
  return withClient(new HealthClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS), async (client) => {
    const reply = await callUnary(client.check.bind(client), { service: BACKEND_HEALTH_SERVICE }, timeoutMs);
    return reply.status === ServingStatus.SERVING ? undefined : `health status ${ServingStatus[reply.status] ?? reply.status}`;
  });
}

/** Runs one call on a fresh client (a fresh connection proves the backend is there now), then closes it; a failure becomes its reason. */
async function withClient<C extends Client>(client: C, run: (client: C) => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await run(client);
  } catch (error) {
    const details = (error as { details?: unknown }).details;
    return `${statusName(error)}${typeof details === 'string' && details !== '' ? `: ${details.slice(0, 200)}` : ''}`;
  } finally {
    client.close();
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const separator = address.lastIndexOf(':');
  return { host: address.slice(0, separator).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(separator + 1)) };
}

/** Same port, and the same host unless the backend names a wildcard (it listens everywhere). */
function isSameAddress(reported: string, expected: string): boolean {
  const a = splitAddress(reported);
  const b = splitAddress(expected);
  return a.port === b.port && (a.host === b.host || ['0.0.0.0', '::', ''].includes(a.host));
}
