// Before a RegisterServer call makes an address eligible, the LB dials it once.
//
// RegisterServer names an address; nothing else proves a backend is there. Admitting whatever
// is named would let one bad (or hostile) caller fill the pick set with addresses where nothing
// listens, and every client would fail on them until outlier ejection (capped at half the
// members) caught up. A TCP connect is what Consul's own check does, costs about a millisecond
// on loopback, and is made once per registration, not per pick.
import net from 'node:net';

export const ADMISSION_TIMEOUT_MS = 500;

/** Undefined when `address` (host:port) accepts a TCP connection within the timeout; otherwise why not. */
export function dialOnce(address: string, timeoutMs: number = ADMISSION_TIMEOUT_MS): Promise<string | undefined> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(separator + 1));
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
