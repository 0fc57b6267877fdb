// The cluster a bench runs on: a running one named by --name (shared, left running) or a private one it starts and always stops.
import type { ClusterFile } from '../cluster/cluster-file.js';
import { lookupCluster } from '../cluster/cluster-lookup.js';
import { clusterPaths, type ClusterPaths } from '../cluster/cluster-paths.js';
import { stopCluster } from '../supervisor/stop-cluster.js';

export interface BenchCluster {
  readonly name: string;
  /** True for a running cluster named by --name: it is left running, on the last policy benched. */
  readonly isShared: boolean;
  readonly paths: ClusterPaths;
  /** The cluster's file; a private cluster has one only once started. */
  file(): ClusterFile;
  /** Starts the private cluster (with `start`); a shared one is there already. */
  ensureStarted(start: () => Promise<ClusterFile>): Promise<ClusterFile>;
  /** Stops the private cluster if this bench started it; safe to call twice, and from a signal handler. */
  release(): Promise<void>;
}

/** The cluster for a bench: `name` when it is running, otherwise a private one called `name` or bench-<pid>. */
export async function acquireBenchCluster(name: string | undefined): Promise<BenchCluster> {
  const clusterName = name ?? `bench-${process.pid}`;
  const lookup = name === undefined ? undefined : await lookupCluster(name);
  let file = lookup?.kind === 'running' ? lookup.file : undefined;
  const isShared = file !== undefined;
  let owned = false;
  return {
    name: clusterName,
    isShared,
    paths: clusterPaths(clusterName),
    file: () => {
      if (file === undefined) throw new Error(`bench cluster "${clusterName}" has not been started`);
      return file;
    },
    ensureStarted: async (start) => {
      if (file !== undefined) return file;
      owned = true;
      file = await start();
      return file;
    },
    release: async () => {
      if (!owned) return;
      owned = false;
      await stopCluster(clusterName);
    },
  };
}
