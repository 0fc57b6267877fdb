// Finds a cluster by name and decides, on evidence, whether it is running, starting, damaged, stale or absent.
//
// A cluster is judged stale only on positive evidence from more than one source: no process is
// provably its supervisor (the pids named by the cluster file and the identity file, and a scan of
// /proc for `serve supervisor <dir>`), and nothing answers on its control port with its name. A
// cluster file that is damaged or missing while the supervisor lives is 'damaged': an error that
// says how to recover, never a reason to delete state or signal anything.
import { promises as fs } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

import { LbxError } from '../../core/lbx-error.js';
import { findProcessesWithArgv, isOurProcess, signalGroup } from '../process/pid-probe.js';
import { clusterPaths, type ClusterPaths } from './cluster-paths.js';
import { readClusterFileDetailed, type ClusterFile } from './cluster-file.js';
import { readSupervisorIdentity, type SupervisorIdentity } from './supervisor-identity.js';

/** A spec younger than this with no cluster file yet belongs to an `up` still starting its supervisor. */
const STARTING_WINDOW_MS = 30_000;
/** Children exit by themselves within ~1.5 s of their supervisor's death; wait this long before forcing them. */
const ORPHAN_EXIT_WAIT_MS = 2_500;
/** How long the control port may take to say whose it is before it counts as silent. */
const IDENTITY_PROBE_TIMEOUT_MS = 1_500;

/** A supervisor proven alive: its pid (argv names this cluster's directory) and where its control API listens. */
export interface LiveSupervisor {
  readonly pid: number;
  readonly controlAddress?: string;
}

export type ClusterLookup =
  | { readonly kind: 'none'; readonly paths: ClusterPaths }
  | { readonly kind: 'starting'; readonly paths: ClusterPaths }
  | { readonly kind: 'running'; readonly paths: ClusterPaths; readonly file: ClusterFile }
  /** The supervisor lives, but the cluster file is missing, unreadable or names another pid. */
  | { readonly kind: 'damaged'; readonly paths: ClusterPaths; readonly supervisor: LiveSupervisor; readonly problem: string }
  /** No supervisor lives and the cluster file is unreadable: kept for the user to look at, removed only by `down`. */
  | { readonly kind: 'unreadable'; readonly paths: ClusterPaths; readonly problem: string }
  | { readonly kind: 'stale'; readonly paths: ClusterPaths; readonly file?: ClusterFile; readonly reason: string };

export const supervisorMarkers = (paths: ClusterPaths): string[] => ['serve', 'supervisor', paths.dir];

export async function lookupCluster(name: string): Promise<ClusterLookup> {
  const paths = clusterPaths(name);
  const read = await readClusterFileDetailed(paths);
  const file = read.kind === 'ok' ? read.file : undefined;
  if (file && isOurProcess(file.supervisorPid, supervisorMarkers(paths))) return { kind: 'running', paths, file };

  const identity = await readSupervisorIdentity(paths);
  if (read.kind === 'missing' && identity === undefined) {
    // The supervisor writes its identity before its first cluster file: without either, a young spec is an `up` on its way.
    const spec = await fs.stat(paths.specFile).catch(() => undefined);
    if (spec && Date.now() - spec.mtimeMs < STARTING_WINDOW_MS) return { kind: 'starting', paths };
    const dirExists = await fs.stat(paths.dir).then(
      () => true,
      () => false,
    );
    if (!dirExists) return { kind: 'none', paths };
  }

  const supervisor = await findLiveSupervisor(paths, identity, file?.controlAddress);
  if (supervisor !== undefined) {
    const problem =
      read.kind === 'missing'
        ? 'missing'
        : read.kind === 'unreadable'
          ? read.problem
          : `naming supervisor pid ${file?.supervisorPid}, which is not this cluster's supervisor (pid ${supervisor.pid})`;
    return { kind: 'damaged', paths, supervisor, problem };
  }
  if (read.kind === 'unreadable') return { kind: 'unreadable', paths, problem: read.problem };
  const reason = file ? `its supervisor (pid ${file.supervisorPid}) is gone` : 'its cluster file is missing and no supervisor of it runs';
  return { kind: 'stale', paths, ...(file ? { file } : {}), reason };
}

/**
 * The cluster's supervisor if one provably lives: a pid named by the identity file or found in
 * /proc whose argv is `… serve supervisor … <dir>`, or a control port that answers with this
 * cluster's name (the token proves the caller is the owner; the name proves the answerer is ours).
 */
async function findLiveSupervisor(paths: ClusterPaths, identity: SupervisorIdentity | undefined, fileControlAddress?: string): Promise<LiveSupervisor | undefined> {
  const markers = supervisorMarkers(paths);
  const controlAddress = identity?.controlAddress ?? fileControlAddress;
  const candidates = [identity?.pid, ...findProcessesWithArgv(markers)].filter((pid): pid is number => pid !== undefined);
  const pid = candidates.find((candidate) => isOurProcess(candidate, markers));
  if (pid !== undefined) return { pid, ...(controlAddress ? { controlAddress } : {}) };
  if (controlAddress === undefined) return undefined;
  const answered = await askControlPort(paths, controlAddress);
  return answered === undefined ? undefined : { pid: answered, controlAddress };
}

/** The supervisor pid the control port reports when it answers as this cluster; undefined when silent or someone else's. */
async function askControlPort(paths: ClusterPaths, controlAddress: string): Promise<number | undefined> {
  const { ControlClient } = await import('./control-client.js');
  let control: InstanceType<typeof ControlClient> | undefined;
  try {
    control = new ControlClient({ name: paths.name, controlAddress }, paths);
    const status = await control.status(IDENTITY_PROBE_TIMEOUT_MS);
    return status.name === paths.name && status.supervisorPid > 0 ? status.supervisorPid : undefined;
  } catch {
    return undefined;
  } finally {
    control?.close();
  }
}

/**
 * Removes a stale cluster: children still alive that provably belong to it (their argv names its
 * directory, whether the cluster file lists them or not) get a short wait, then SIGKILL; then the
 * directory goes. Called only on a lookup that found no live supervisor.
 */
export async function cleanStaleCluster(paths: ClusterPaths, file?: ClusterFile): Promise<number[]> {
  const markers = [paths.dir];
  const listed = (file?.components ?? []).flatMap((component) => (component.pid ? [component.pid] : []));
  const pids = [...new Set([...listed, ...findProcessesWithArgv(markers)])];
  const deadline = performance.now() + ORPHAN_EXIT_WAIT_MS;
  let survivors = pids.filter((pid) => isOurProcess(pid, markers));
  while (survivors.length > 0 && performance.now() < deadline) {
    await sleep(50);
    survivors = survivors.filter((pid) => isOurProcess(pid, markers));
  }
  for (const pid of survivors) signalGroup(pid, 'SIGKILL');
  await fs.rm(paths.dir, { recursive: true, force: true });
  return survivors;
}

const upHint = (name: string): string => `start one with: lbx up${name === 'default' ? '' : ` --name ${name}`}`;
const downCommand = (name: string): string => `lbx down${name === 'default' ? '' : ` --name ${name}`}`;

/** The error a command that needs a readable, running cluster gives for each other finding. */
export function describeUnusable(lookup: Exclude<ClusterLookup, { kind: 'running' }>): LbxError {
  const { name } = lookup.paths;
  switch (lookup.kind) {
    case 'starting':
      return new LbxError('no-cluster', `cluster "${name}" is still starting; wait for \`lbx up\` to finish`);
    case 'damaged':
      return new LbxError('runtime', `cluster "${name}" is running (supervisor pid ${lookup.supervisor.pid}) but its state file ${lookup.paths.clusterFile} is ${lookup.problem}`, [
        `stop it cleanly with: ${downCommand(name)} (it finds the supervisor without that file), then start it again`,
      ]);
    case 'unreadable':
      return new LbxError('runtime', `cluster "${name}": ${lookup.paths.clusterFile} is ${lookup.problem}, and no supervisor of it is running`, [
        `look at it, then remove the state with: ${downCommand(name)}`,
      ]);
    case 'stale':
      return new LbxError('no-cluster', `no cluster "${name}" is running (found a stale one: ${lookup.reason}; cleaned it up)`, [upHint(name)]);
    case 'none':
      return new LbxError('no-cluster', `no cluster "${name}" is running (no state in ${lookup.paths.dir})`, [upHint(name)]);
  }
}

/** The running cluster's file, or an error that says what was found (after cleaning a provably stale one). */
export async function requireRunningCluster(name: string): Promise<ClusterFile> {
  const lookup = await lookupCluster(name);
  if (lookup.kind === 'running') return lookup.file;
  if (lookup.kind === 'stale') await cleanStaleCluster(lookup.paths, lookup.file);
  throw describeUnusable(lookup);
}
