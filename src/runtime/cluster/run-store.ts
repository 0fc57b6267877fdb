// Saves each `lbx send` run in the cluster directory and reads them back for `lbx report`.
import { promises as fs } from 'node:fs';
import path from 'node:path';

import type { SendResult } from '../client/send-run.js';
import type { ClusterPaths } from './cluster-paths.js';
import { writeJsonAtomic } from './atomic-file.js';

export const RUN_SCHEMA_VERSION = 1;

export interface SavedRun extends SendResult {
  readonly schemaVersion: typeof RUN_SCHEMA_VERSION;
  /** lookaside or proxy: how the tasks reached the backends. */
  readonly mode: 'lookaside' | 'proxy';
  readonly request: { readonly simple: number; readonly heavy: number; readonly concurrency: number; readonly timeoutMs: number };
}

export async function saveRun(paths: ClusterPaths, run: SavedRun): Promise<string> {
  await fs.mkdir(paths.runsDir, { recursive: true });
  const file = path.join(paths.runsDir, `${run.id}.json`);
  await writeJsonAtomic(file, run);
  return file;
}

/** Saved runs, oldest first; unreadable files are skipped rather than failing the report. */
export async function listRuns(paths: ClusterPaths): Promise<SavedRun[]> {
  const names = await fs.readdir(paths.runsDir).catch(() => [] as string[]);
  const runs: SavedRun[] = [];
  for (const name of names.filter((entry) => entry.endsWith('.json')).sort()) {
    try {
      const run = JSON.parse(await fs.readFile(path.join(paths.runsDir, name), 'utf8')) as SavedRun;
      if (run.schemaVersion === RUN_SCHEMA_VERSION) runs.push(run);
    } catch {
      // A run being written right now, or a file from another version: not worth failing a report over.
    }
  }
  return runs.sort((a, b) => a.startedAtUnixMs - b.startedAtUnixMs);
}
