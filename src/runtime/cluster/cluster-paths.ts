// Where a cluster keeps its state: one directory per cluster name under $LBX_HOME (default ~/.lbx).
import os from 'node:os';
import path from 'node:path';

import { LbxError } from '../../core/lbx-error.js';

export const DEFAULT_CLUSTER_NAME = 'default';
const CLUSTER_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

export interface ClusterPaths {
  readonly name: string;
  readonly dir: string;
  /** What is running: written by the supervisor, read by every other command. */
  readonly clusterFile: string;
  /** What `up` asked for: written by `up`, read by the supervisor. */
  readonly specFile: string;
  /** Who the supervisor is (pid, control address): written once by the supervisor, a second witness beside the cluster file. */
  readonly identityFile: string;
  readonly logsDir: string;
  readonly runsDir: string;
  logFile(component: string): string;
}

export function lbxHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.LBX_HOME && env.LBX_HOME.trim() !== '' ? path.resolve(env.LBX_HOME) : path.join(os.homedir(), '.lbx');
}

export function validateClusterName(name: string): string {
  if (!CLUSTER_NAME_PATTERN.test(name)) {
    throw new LbxError('usage', `invalid cluster name "${name}": expected 1–32 letters, digits, "-" or "_", starting with a letter or digit`);
  }
  return name;
}

export function clusterPaths(name: string, home: string = lbxHome()): ClusterPaths {
  const dir = path.join(home, validateClusterName(name));
  const logsDir = path.join(dir, 'logs');
  return {
    name,
    dir,
    clusterFile: path.join(dir, 'cluster.json'),
    specFile: path.join(dir, 'spec.json'),
    identityFile: path.join(dir, 'supervisor.json'),
    logsDir,
    runsDir: path.join(dir, 'runs'),
    logFile: (component) => path.join(logsDir, `${component}.log`),
  };
}
