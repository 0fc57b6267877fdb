// The cluster file: what is running, written by the supervisor (atomically) and read by every other command.
import { promises as fs } from 'node:fs';

import type { ClusterPaths } from './cluster-paths.js';
import type { ClusterSpec } from './cluster-spec.js';
import { writeJsonAtomic } from './atomic-file.js';

export const CLUSTER_SCHEMA_VERSION = 1;

export type ComponentRole = 'registry' | 'lb' | 'backend';
/**
 * starting: spawned, not yet ready · ready: serving · stopping: asked to stop · exited: gone
 * (crashed or killed; `lbx start` or --respawn may bring it back) · removed: taken out by
 * `lbx rm` or `lbx scale`, its port free for the next `lbx add`.
 */
export type ComponentState = 'starting' | 'ready' | 'stopping' | 'exited' | 'removed';
export type ClusterState = 'starting' | 'ready' | 'stopping';

export interface ComponentRecord {
  readonly name: string;
  readonly role: ComponentRole;
  readonly port: number;
  readonly address: string;
  pid?: number;
  state: ComponentState;
  startedAtUnixMs?: number;
  exitedAtUnixMs?: number;
  /** "code 1", "signal SIGKILL"; absent while running. */
  exitReason?: string;
  readonly logPath: string;
  /** Times the supervisor started it again after an unexpected exit. */
  restarts?: number;
  /** Backends: the CPU_HEAVY speed and weight it runs with. */
  speed?: number;
  weight?: number;
}

export interface ClusterFile {
  readonly schemaVersion: typeof CLUSTER_SCHEMA_VERSION;
  readonly name: string;
  state: ClusterState;
  readonly supervisorPid: number;
  readonly startedAtUnixMs: number;
  readonly controlAddress: string;
  readonly registryAddress: string;
  readonly lbAddress: string;
  /** What the cluster runs with; `lbx policy` updates its policy. */
  spec: ClusterSpec;
  components: ComponentRecord[];
}

export async function writeClusterFile(paths: ClusterPaths, file: ClusterFile): Promise<void> {
  await writeJsonAtomic(paths.clusterFile, file);
}

/** Reads the cluster file; undefined when absent, unreadable or of another schema (callers treat that as stale). */
export async function readClusterFile(paths: ClusterPaths): Promise<ClusterFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(paths.clusterFile, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ClusterFile>;
    return parsed.schemaVersion === CLUSTER_SCHEMA_VERSION && typeof parsed.supervisorPid === 'number'
      ? (parsed as ClusterFile)
      : undefined;
  } catch {
    return undefined;
  }
}
