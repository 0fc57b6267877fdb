// Checks that the state home ($LBX_HOME, default ~/.lbx) can be used, so a file or a read-only directory there is a clear usage error up front.
import { promises as fs } from 'node:fs';
import path from 'node:path';

import { LbxError } from '../../core/lbx-error.js';

const describeHome = (home: string, env: NodeJS.ProcessEnv): string => (env['LBX_HOME']?.trim() ? `LBX_HOME ${home}` : `the state directory ${home} (LBX_HOME is not set)`);
const FIX = 'point LBX_HOME at a writable directory, e.g. LBX_HOME=$HOME/.lbx or LBX_HOME=$(mktemp -d)';

/**
 * Refuses a home that is not a directory; with `mustWrite` (commands that start a cluster), also one
 * where a directory cannot be created (read-only mount, no permission, full disk). Found by creating
 * one: access(2) tells root it may write whatever the mode bits say.
 */
export async function checkStateHome(home: string, options: { mustWrite: boolean; env?: NodeJS.ProcessEnv }): Promise<void> {
  const env = options.env ?? process.env;
  const stat = await fs.stat(home).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : error));
  if (stat instanceof Error) {
    // ENOTDIR: a parent is a file.
    throw new LbxError('usage', `${describeHome(home, env)} cannot be used: ${stat.code ?? stat.message}`, [FIX]);
  }
  if (stat !== undefined && !stat.isDirectory()) {
    throw new LbxError('usage', `${describeHome(home, env)} is not a directory: lbx keeps each cluster's state in a directory there`, [FIX]);
  }
  if (!options.mustWrite) return;
  try {
    await fs.mkdir(home, { recursive: true });
    const probe = await fs.mkdtemp(path.join(home, '.write-check-'));
    await fs.rmdir(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new LbxError('usage', `${describeHome(home, env)} is not writable (${code}): lbx keeps each cluster's state there`, [FIX]);
  }
}
