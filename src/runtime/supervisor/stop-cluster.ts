// Stops a cluster, the one way every command does it (`down`, bench's private cluster): shutdown through
// the control API, SIGTERM or SIGKILL only to a supervisor proven to be this cluster's, then its state removed.
import { LbxError } from '../../core/lbx-error.js';
import { cleanStaleCluster, lookupCluster, supervisorMarkers, type ClusterLookup, type LiveSupervisor } from '../cluster/cluster-lookup.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import { ControlClient } from '../cluster/control-client.js';
import { isOurProcess, signalProcess } from '../process/pid-probe.js';
import { waitFor } from '../process/wait-for.js';
import { clusterPaths } from '../cluster/cluster-paths.js';
import { netnsTag } from '../../core/netns/netns-plan.js';
import { sweepClusterNetwork } from '../netns/cluster-network.js';

/** How long the supervisor may take to stop everything (backends drain) before it is killed. */
export const SUPERVISOR_EXIT_TIMEOUT_MS = 20_000;
/** How long a cluster that another `lbx up` is starting may take to settle before stopping it. */
export const STARTING_SETTLE_TIMEOUT_MS = 30_000;

export interface StopClusterResult {
  /** stopped: a live supervisor was stopped · cleaned: state without a live supervisor was removed · none: nothing was there. */
  readonly outcome: 'stopped' | 'cleaned' | 'none';
  /** Why state was cleaned, or how a damaged cluster was found; '' otherwise. */
  readonly detail: string;
  /** The supervisor did not stop when asked and was killed. */
  readonly forced: boolean;
  /** Leftover processes of the cluster that were killed (provably its own by their argv). */
  readonly killedPids: readonly number[];
  readonly stoppedMs: number;
}

/** Stops the named cluster and removes its state; finds a live supervisor even when the cluster file is damaged or gone. */
export async function stopCluster(name: string): Promise<StopClusterResult> {
  const result = await stopClusterProcesses(name);
  // `up --netns`: its namespaces and veths go too, by name, also after a crash (two directory reads when there are none).
  const leftovers = sweepClusterNetwork(netnsTag(clusterPaths(name).dir));
  if (leftovers.length > 0) throw new LbxError('runtime', `cluster "${name}" stopped, but these network namespaces or links could not be deleted: ${leftovers.join(', ')}`);
  return result;
}

async function stopClusterProcesses(name: string): Promise<StopClusterResult> {
  const startedAt = performance.now();
  const finish = (result: Omit<StopClusterResult, 'stoppedMs'>): StopClusterResult => ({ ...result, stoppedMs: Math.round(performance.now() - startedAt) });
  const lookup = await settledLookup(name);
  switch (lookup.kind) {
    case 'none':
      return finish({ outcome: 'none', detail: '', forced: false, killedPids: [] });
    case 'stale':
    case 'unreadable': {
      const killedPids = await cleanStaleCluster(lookup.paths, lookup.kind === 'stale' ? lookup.file : undefined);
      const detail = lookup.kind === 'stale' ? lookup.reason : `its cluster file was ${lookup.problem} and no supervisor of it was running`;
      return finish({ outcome: 'cleaned', detail, forced: false, killedPids });
    }
    case 'running':
    case 'damaged': {
      const supervisor: LiveSupervisor = lookup.kind === 'running' ? { pid: lookup.file.supervisorPid, controlAddress: lookup.file.controlAddress } : lookup.supervisor;
      const { forced, killedPids } = await stopSupervisor(lookup.paths, supervisor);
      const detail = lookup.kind === 'damaged' ? `its cluster file was ${lookup.problem}` : '';
      return finish({ outcome: 'stopped', detail, forced, killedPids });
    }
  }
}

/** The lookup, after waiting out an `lbx up` that is starting the cluster right now. */
async function settledLookup(name: string): Promise<Exclude<ClusterLookup, { kind: 'starting' }>> {
  const first = await lookupCluster(name);
  if (first.kind !== 'starting') return first;
  return waitFor(
    async () => {
      const next = await lookupCluster(name);
      return next.kind === 'starting' ? undefined : next;
    },
    { description: `cluster "${name}" (being started)`, timeoutMs: STARTING_SETTLE_TIMEOUT_MS, intervalMs: 100 },
  );
}

/**
 * Asks the supervisor to shut down (through its control API, else SIGTERM), waits for it, and
 * kills it only when it hangs. Every signal goes to a pid whose argv names this cluster's directory.
 */
async function stopSupervisor(paths: ClusterPaths, supervisor: LiveSupervisor): Promise<{ forced: boolean; killedPids: number[] }> {
  const markers = supervisorMarkers(paths);
  const isAlive = (): boolean => isOurProcess(supervisor.pid, markers);
  const asked = await askToShutDown(paths, supervisor);
  if (!asked && isAlive()) signalProcess(supervisor.pid, 'SIGTERM');
  let forced = false;
  try {
    await waitFor(async () => (isAlive() ? undefined : true), { description: `supervisor ${supervisor.pid} exit`, timeoutMs: SUPERVISOR_EXIT_TIMEOUT_MS });
  } catch (error) {
    if (!(error instanceof LbxError) || error.code !== 'timeout') throw error;
    // Wedged: end it; its children follow it (they watch their supervisor), and leftovers are swept below.
    if (isAlive()) signalProcess(supervisor.pid, 'SIGKILL');
    forced = true;
  }
  // A clean shutdown removed the directory already; after a forced one (or a damaged file) this sweeps what is left.
  const killedPids = await cleanStaleCluster(paths);
  return { forced, killedPids };
}

/** True when the control API took the shutdown request. */
async function askToShutDown(paths: ClusterPaths, supervisor: LiveSupervisor): Promise<boolean> {
  if (supervisor.controlAddress === undefined) return false;
  let control: ControlClient | undefined;
  try {
    control = new ControlClient({ name: paths.name, controlAddress: supervisor.controlAddress }, paths);
    await control.shutdown();
    return true;
  } catch {
    return false;
  } finally {
    control?.close();
  }
}
