// The cluster file: what is running, written by the supervisor (atomically) and read by every other command.
import { promises as fs } from 'node:fs';

import type { ClusterPaths } from './cluster-paths.js';
import type { ClusterSpec } from './cluster-spec.js';
import { writeJsonAtomic } from './atomic-file.js';

export const CLUSTER_SCHEMA_VERSION = 1;

/** dataplane: a stock proxy (HAProxy, NGINX) run by `lbx serve dataplane` in a proxy-mode cluster. */
export type ComponentRole = 'registry' | 'lb' | 'backend' | 'dataplane';
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

/** What reading the cluster file found: the file, nothing, or something that is not a cluster file (and why). */
export type ClusterFileRead = { readonly kind: 'ok'; readonly file: ClusterFile } | { readonly kind: 'missing' } | { readonly kind: 'unreadable'; readonly problem: string };

/** Reads the cluster file and says exactly what was wrong with it, so no caller mistakes damage for absence. */
export async function readClusterFileDetailed(paths: ClusterPaths): Promise<ClusterFileRead> {
  let text: string;
  try {
    text = await fs.readFile(paths.clusterFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', problem: `cannot be read (${code ?? String(error)})` };
  }
  let parsed: Partial<ClusterFile>;
  try {
    parsed = JSON.parse(text) as Partial<ClusterFile>;
  } catch {
    return { kind: 'unreadable', problem: text.trim() === '' ? 'empty' : 'not valid JSON (truncated or overwritten?)' };
  }
  if (parsed === null || typeof parsed !== 'object') return { kind: 'unreadable', problem: 'not a JSON object' };
  if (parsed.schemaVersion !== CLUSTER_SCHEMA_VERSION) {
    return { kind: 'unreadable', problem: `of schema version ${JSON.stringify(parsed.schemaVersion)}, expected ${CLUSTER_SCHEMA_VERSION}` };
  }
  const isWellFormed =
    typeof parsed.supervisorPid === 'number' &&
    Number.isInteger(parsed.supervisorPid) &&
    parsed.supervisorPid > 0 &&
    typeof parsed.controlAddress === 'string' &&
    typeof parsed.lbAddress === 'string' &&
    Array.isArray(parsed.components) &&
    typeof parsed.spec === 'object' &&
    parsed.spec !== null;
  return isWellFormed
    ? { kind: 'ok', file: parsed as ClusterFile }
    : { kind: 'unreadable', problem: 'missing fields (supervisorPid, controlAddress, lbAddress, spec or components)' };
}

/** Reads the cluster file; undefined when absent or unreadable (callers that must tell these apart use readClusterFileDetailed). */
export async function readClusterFile(paths: ClusterPaths): Promise<ClusterFile | undefined> {
  const read = await readClusterFileDetailed(paths);
  return read.kind === 'ok' ? read.file : undefined;
}
