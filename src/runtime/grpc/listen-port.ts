// Listening for a gRPC port served without grpc-js (the proxy fronts, the lean server): a port in use is the user's to fix (a usage error), anything else a runtime one.
import type net from 'node:net';

import { formatHostPort } from '../../core/host-port.js';
import { LbxError } from '../../core/lbx-error.js';

/** Listens on host:port (0: a free one) and resolves with the port taken. */
export function listenPort(server: net.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const inUse = error.code === 'EADDRINUSE';
      reject(new LbxError(inUse ? 'usage' : 'runtime', inUse ? `port ${port} on ${host} is already in use` : `cannot listen on ${formatHostPort(host, port)}: ${error.message}`));
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}
