// Where a data plane keeps its files: all inside the cluster directory (never /etc), so `down` removes them.
import path from 'node:path';

import type { DataPlaneKind } from '../../core/dataplane/data-plane-kind.js';

export interface DataPlaneFiles {
  /** The data plane's own directory; NGINX's prefix (-p). */
  readonly dir: string;
  readonly config: string;
  readonly pidFile: string;
  /** HAProxy's runtime API (stats socket, level admin); unused by NGINX. */
  readonly socket: string;
  /** NGINX's temp paths live under it. */
  readonly tempDir: string;
}

export function dataPlaneFiles(clusterDir: string, kind: DataPlaneKind): DataPlaneFiles {
  const dir = path.join(clusterDir, kind);
  return {
    dir,
    config: path.join(dir, kind === 'haproxy' ? 'haproxy.cfg' : 'nginx.conf'),
    pidFile: path.join(dir, `${kind}.pid`),
    socket: path.join(dir, 'haproxy.sock'),
    tempDir: path.join(dir, 'tmp'),
  };
}
