// Saves each `lbx send` (and bench) run in the cluster directory, marks runs in progress, and reads them back for `lbx report`.
import { promises as fs } from 'node:fs';
import path from 'node:path';

import type { SendResult } from '../client/send-run.js';
import { isProcessAlive } from '../process/pid-probe.js';
import type { ClusterPaths } from './cluster-paths.js';
import { writeJsonAtomic } from './atomic-file.js';
import type { LbMode } from '../lb/lb-mode.js';

export const RUN_SCHEMA_VERSION = 1;
const IN_PROGRESS_SUFFIX = '.running';

export interface SavedRun extends SendResult {
  readonly schemaVersion: typeof RUN_SCHEMA_VERSION;
  /** lookaside or proxy: how the tasks reached the backends. */
  readonly mode: LbMode;
  readonly request: { readonly simple: number; readonly heavy: number; readonly concurrency: number; readonly timeoutMs: number };
  /** What sent it: `lbx send` (absent in older runs) or one policy's part of `lbx bench`. */
  readonly source?: 'send' | 'bench';
}

/** A run that has started and not yet been saved: its sender's pid, so a dead sender's marker is ignored. */
export interface RunInProgress {
  readonly pid: number;
  readonly command: 'send' | 'bench';
  readonly startedAtUnixMs: number;
}

export async function saveRun(paths: ClusterPaths, run: SavedRun): Promise<string> {
  await fs.mkdir(paths.runsDir, { recursive: true });
  const file = path.join(paths.runsDir, `${run.id}.json`);
  await writeJsonAtomic(file, run);
  return file;
}

/**
 * Marks a run in progress so `report` says so instead of calling the backends' extra counts a
 * mismatch. Best effort: a marker that cannot be written (a full disk) costs only that message.
 * Returns the function that removes it.
 */
export async function markRunInProgress(paths: ClusterPaths, command: RunInProgress['command']): Promise<() => Promise<void>> {
  const file = path.join(paths.runsDir, `${process.pid}${IN_PROGRESS_SUFFIX}`);
  const marker: RunInProgress = { pid: process.pid, command, startedAtUnixMs: Date.now() };
  try {
    await fs.mkdir(paths.runsDir, { recursive: true });
    await writeJsonAtomic(file, marker);
  } catch {
    return async () => undefined;
  }
  return () => fs.rm(file, { force: true }).catch(() => undefined);
}

/** Runs in progress now: markers whose sender is still alive. */
export async function listRunsInProgress(paths: ClusterPaths): Promise<RunInProgress[]> {
  const names = await fs.readdir(paths.runsDir).catch(() => [] as string[]);
  const live: RunInProgress[] = [];
  for (const name of names.filter((entry) => entry.endsWith(IN_PROGRESS_SUFFIX))) {
    try {
      const marker = JSON.parse(await fs.readFile(path.join(paths.runsDir, name), 'utf8')) as RunInProgress;
      if (Number.isInteger(marker.pid) && isProcessAlive(marker.pid)) live.push(marker);
    } catch {
      // Removed while we read it: that run has just ended.
    }
  }
  return live;
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
