// The supervisor's identity file (`supervisor.json`): its pid and control address, written once at start-up.
//
// The cluster file changes with every event and can be damaged or removed while the cluster runs;
// this small file is a second, independent witness of who the supervisor is, so a damaged cluster
// file is never mistaken for a dead cluster.
import { promises as fs } from 'node:fs';

import type { ClusterPaths } from './cluster-paths.js';
import { writeJsonAtomic } from './atomic-file.js';

export interface SupervisorIdentity {
  readonly name: string;
  readonly pid: number;
  readonly controlAddress: string;
  readonly startedAtUnixMs: number;
}

export async function writeSupervisorIdentity(paths: ClusterPaths, identity: SupervisorIdentity): Promise<void> {
  await writeJsonAtomic(paths.identityFile, identity);
}

/** The identity, or undefined when the file is absent or not one (it is only a witness: its absence proves nothing). */
export async function readSupervisorIdentity(paths: ClusterPaths): Promise<SupervisorIdentity | undefined> {
  try {
    const parsed = JSON.parse(await fs.readFile(paths.identityFile, 'utf8')) as Partial<SupervisorIdentity>;
    const isIdentity = parsed.name === paths.name && Number.isInteger(parsed.pid) && (parsed.pid ?? 0) > 0 && typeof parsed.controlAddress === 'string';
    return isIdentity ? (parsed as SupervisorIdentity) : undefined;
  } catch {
    return undefined;
  }
}
