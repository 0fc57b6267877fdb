// Finds an executable on PATH (used for `consul` and `etcd`), the way a shell would; daemons (haproxy, nginx) in sbin too.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

export function findExecutable(name: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

/** Where Debian puts daemons (haproxy, nginx): often not on a user's PATH. */
const SYSTEM_BIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** An executable on PATH, else in the system's sbin directories. */
export function findSystemExecutable(name: string, searchPath: string = process.env.PATH ?? ''): string | undefined {
  return findExecutable(name, searchPath) ?? findExecutable(name, SYSTEM_BIN_DIRS.join(path.delimiter));
}
