// A cluster's bearer token on disk: made by the supervisor at start-up, kept in a 0600 file next to cluster.json,
// read by every client of the control API and by the roles the supervisor starts (--token-file). What the token
// guards, and how it travels on calls, is in ../grpc/bearer-token.ts.
import { randomBytes } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';

import { LbxError } from '../../core/lbx-error.js';
import { TOKEN_BYTES, TOKEN_PATTERN } from '../grpc/bearer-token.js';
import type { ClusterPaths } from './cluster-paths.js';

export const TOKEN_FILE_NAME = 'control.token';
const TOKEN_FILE_MODE = 0o600;

type TokenPaths = Pick<ClusterPaths, 'name' | 'dir'>;

/** Where a cluster's control token lives: inside its directory, next to cluster.json. */
export const tokenFile = (paths: Pick<ClusterPaths, 'dir'>): string => path.join(paths.dir, TOKEN_FILE_NAME);

/**
 * Makes a fresh token and writes it, mode 0600, to the cluster's token file; returns the token.
 * Written to a temporary file created 0600 and renamed into place, so a reader never sees a
 * partial token and a leftover file from an earlier run is replaced rather than trusted.
 */
export async function createControlToken(paths: Pick<ClusterPaths, 'dir'>): Promise<string> {
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  const file = tokenFile(paths);
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.rm(temporary, { force: true });
  const handle = await fs.open(temporary, 'wx', TOKEN_FILE_MODE);
  try {
    // The umask can only narrow the mode given to open; chmod makes it exactly 0600 either way.
    await handle.chmod(TOKEN_FILE_MODE);
    await handle.writeFile(`${token}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
  return token;
}

/** Reads a cluster's control token (synchronously: it is one small file, read once per client). */
export function readControlToken(paths: TokenPaths): string {
  const file = tokenFile(paths);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EACCES' || code === 'EPERM') {
      throw new LbxError('runtime', `cannot read the control token ${file} of cluster "${paths.name}" (${code}): is the cluster owned by another user?`);
    }
    if (code === 'ENOENT') {
      throw new LbxError('runtime', `cluster "${paths.name}" has no control token at ${file}: it was started by an older lbx or its directory was altered`, [
        'stop its supervisor by pid (see cluster.json), then start it again with: lbx up',
      ]);
    }
    throw new LbxError('runtime', `cannot read the control token ${file} of cluster "${paths.name}": ${(error as Error).message}`);
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new LbxError('runtime', `control token ${file} of cluster "${paths.name}" is malformed: expected ${TOKEN_BYTES * 2} hex digits`);
  }
  return token;
}

/** Reads a token file given by path (a role's --token-file); errors name the file. */
export function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new LbxError('usage', `cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!TOKEN_PATTERN.test(token)) throw new LbxError('usage', `token file ${file} is malformed: expected ${TOKEN_BYTES * 2} hex digits`);
  return token;
}
