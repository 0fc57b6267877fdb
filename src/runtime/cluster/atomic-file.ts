// Writes files atomically (temp file in the same directory, then rename) so readers never see half a file.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

const tempPathFor = (target: string): string => path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);

/** Writes `contents` to `target` whole or not at all; a failed write (a full disk) leaves no temp file behind. */
export async function writeFileAtomic(target: string, contents: string, mode = 0o600): Promise<void> {
  const temp = tempPathFor(target);
  try {
    await fs.writeFile(temp, contents, { mode });
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}
