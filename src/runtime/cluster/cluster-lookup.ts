// Finds a cluster by name and decides whether it is running, starting, stale or absent; stale ones are cleaned, never trusted.
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { LbxError } from '../../core/lbx-error.js';
import { isOurProcess, signalGroup } from '../process/pid-probe.js';
import { clusterPaths, type ClusterPaths } from './cluster-paths.js';
import { readClusterFile, type ClusterFile } from './cluster-file.js';

/** A spec younger than this with no cluster file yet belongs to an `up` still starting its supervisor. */
const STARTING_WINDOW_MS = 30_000;
/** Children exit by themselves within ~1.5 s of their supervisor's death; wait this long before forcing them. */
const ORPHAN_EXIT_WAIT_MS = 2_500;

export type ClusterLookup =
  | { readonly kind: 'none'; readonly paths: ClusterPaths }
  | { readonly kind: 'starting'; readonly paths: ClusterPaths }
  | { readonly kind: 'running'; readonly paths: ClusterPaths; readonly file: ClusterFile }
  | { readonly kind: 'stale'; readonly paths: ClusterPaths; readonly file?: ClusterFile; readonly reason: string };

export const supervisorMarkers = (paths: ClusterPaths): string[] => ['serve', 'supervisor', paths.dir];

export async function lookupCluster(name: string): Promise<ClusterLookup> {
  const paths = clusterPaths(name);
  const file = await readClusterFile(paths);
  if (file === undefined) {
    const spec = await fs.stat(paths.specFile).catch(() => undefined);
    if (spec && Date.now() - spec.mtimeMs < STARTING_WINDOW_MS) return { kind: 'starting', paths };
    const dirExists = await fs.stat(paths.dir).then(() => true, () => false);
    return dirExists ? { kind: 'stale', paths, reason: 'its cluster file is missing or unreadable' } : { kind: 'none', paths };
  }
  if (isOurProcess(file.supervisorPid, supervisorMarkers(paths))) return { kind: 'running', paths, file };
  return { kind: 'stale', paths, file, reason: `its supervisor (pid ${file.supervisorPid}) is gone` };
}

/**
 * Removes a stale cluster: children still alive that provably belong to it (their argv
 * names its directory) get a short wait, then SIGKILL; then the directory goes.
 */
export async function cleanStaleCluster(lookup: Extract<ClusterLookup, { kind: 'stale' }>): Promise<number[]> {
  const markers = [lookup.paths.dir];
  const pids = (lookup.file?.components ?? []).flatMap((component) => (component.pid ? [component.pid] : []));
  const deadline = performance.now() + ORPHAN_EXIT_WAIT_MS;
  let survivors = pids.filter((pid) => isOurProcess(pid, markers));
  while (survivors.length > 0 && performance.now() < deadline) {
    await sleep(50);
    survivors = survivors.filter((pid) => isOurProcess(pid, markers));
  }
  for (const pid of survivors) signalGroup(pid, 'SIGKILL');
  await fs.rm(lookup.paths.dir, { recursive: true, force: true });
  return survivors;
}

/** The running cluster's file, or a 'no-cluster' error (after cleaning a stale one). */
export async function requireRunningCluster(name: string): Promise<ClusterFile> {
  const lookup = await lookupCluster(name);
  switch (lookup.kind) {
    case 'running':
      return lookup.file;
    case 'starting':
      throw new LbxError('no-cluster', `cluster "${name}" is still starting; wait for \`lbx up\` to finish`);
    case 'stale': {
      await cleanStaleCluster(lookup);
      throw new LbxError('no-cluster', `no cluster "${name}" is running (found a stale one: ${lookup.reason}; cleaned it up)`, [
        `start one with: lbx up${name === 'default' ? '' : ` --name ${name}`}`,
      ]);
    }
    case 'none':
      throw new LbxError('no-cluster', `no cluster "${name}" is running (no state in ${lookup.paths.dir})`, [
        `start one with: lbx up${name === 'default' ? '' : ` --name ${name}`}`,
      ]);
  }
}
