// One TCP dial with a deadline, reported in the words Consul's TCP check uses.

import net from 'node:net';
import type { CheckStatus } from './service-definition.js';

/** setTimeout's ceiling (about 24.8 days); longer delays would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

export const formatHostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

function describeDialError(error: NodeJS.ErrnoException, host: string): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connect: connection refused';
    case 'ECONNRESET':
      return 'connect: connection reset by peer';
    case 'EHOSTUNREACH':
      return 'connect: no route to host';
    case 'ENETUNREACH':
      return 'connect: network is unreachable';
    case 'ETIMEDOUT':
      return 'i/o timeout';
    case 'ENOTFOUND':
      return `lookup ${host}: no such host`;
    default:
      return error.message;
  }
}

/**
 * Dials host:port once; `done` gets passing on connect, critical on error or after `timeoutMs`.
 * Returns a cancel function; after cancelling, `done` is never called.
 */
export function probeTcp(host: string, port: number, timeoutMs: number, done: (status: CheckStatus, output: string) => void): () => void {
  const target = formatHostPort(host, port);
  let isSettled = false;
  const socket = net.connect({ host, port });
  const settle = (status: CheckStatus, output: string): void => {
    if (isSettled) return;
    isSettled = true;
    clearTimeout(timer);
    socket.destroy();
    done(status, output);
  };
  const timer = setTimeout(() => settle('critical', `dial tcp ${target}: i/o timeout`), Math.min(timeoutMs, MAX_TIMER_MS));
  socket.once('connect', () => settle('passing', `TCP connect ${target}: Success`));
  // `on`, not `once`: a late second error after destroy must not become an uncaught exception.
  socket.on('error', (error: NodeJS.ErrnoException) => settle('critical', `dial tcp ${target}: ${describeDialError(error, host)}`));
  return () => {
    isSettled = true;
    clearTimeout(timer);
    socket.destroy();
  };
}
