// `lbx up`'s side: write the spec, start the supervisor detached, follow its progress until ready, then let it go.
import { promises as fs } from 'node:fs';
import path from 'node:path';

import { LbxError, type LbxErrorCode } from '../../core/lbx-error.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';
import type { ClusterSpec } from '../cluster/cluster-spec.js';
import { writeJsonAtomic } from '../cluster/atomic-file.js';
import { readClusterFile, type ClusterFile } from '../cluster/cluster-file.js';
import { lbxCommandPrefix } from '../process/lbx-entry.js';
import { readLogTail, spawnDetached } from '../process/managed-child.js';
import { signalProcess } from '../process/pid-probe.js';
import type { UpProgress } from './run-supervisor.js';
import type { SupervisorEvent } from './supervisor.js';

const LAST_MESSAGE_GRACE_MS = 200;

/**
 * Creates the cluster directory exclusively: it is the lock that keeps two `lbx up --name x`
 * from starting two supervisors that would tear down each other's state.
 */
async function claimClusterDir(paths: ClusterPaths): Promise<void> {
  await fs.mkdir(path.dirname(paths.dir), { recursive: true, mode: 0o700 });
  try {
    await fs.mkdir(paths.dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new LbxError('usage', `cluster "${paths.name}" is being started by another \`lbx up\` (${paths.dir} exists)`);
    }
    throw error;
  }
}

export interface LaunchResult {
  readonly file: ClusterFile;
  readonly readyMs: number;
}

export async function launchSupervisor(paths: ClusterPaths, spec: ClusterSpec, options: { timeoutMs: number; onEvent: (event: SupervisorEvent) => void }): Promise<LaunchResult> {
  const startedAt = performance.now();
  await claimClusterDir(paths);
  await fs.mkdir(paths.logsDir, { recursive: true, mode: 0o700 });
  await writeJsonAtomic(paths.specFile, spec);

  const logPath = paths.logFile('supervisor');
  const prefix = lbxCommandPrefix();
  const subprocess = spawnDetached({ file: prefix.file, args: [...prefix.args, 'serve', 'supervisor', '--cluster-dir', paths.dir], logPath });
  subprocess.catch(() => undefined);
  const pid = subprocess.pid;

  const outcome = await new Promise<{ ok: true } | { ok: false; code: LbxErrorCode; message: string }>((resolve) => {
    const timer = setTimeout(() => {
      resolve({ ok: false, code: 'timeout', message: `cluster "${spec.name}" not ready after ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    subprocess.on('message', (raw) => {
      const message = raw as UpProgress;
      if (message.type === 'progress') options.onEvent(message.event);
      else {
        clearTimeout(timer);
        resolve(message.type === 'ready' ? { ok: true } : { ok: false, code: message.code as LbxErrorCode, message: message.message });
      }
    });
    subprocess.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' can overtake the supervisor's last IPC message; give it a moment to arrive first.
      setTimeout(() => resolve({ ok: false, code: 'runtime', message: `supervisor exited (${signal ?? `code ${code}`}) before the cluster was ready` }), LAST_MESSAGE_GRACE_MS);
    });
  });

  if (!outcome.ok) {
    // Ours, just started: stop it so nothing is left behind, and keep its story for the message.
    if (pid !== undefined && subprocess.exitCode === null) signalProcess(pid, 'SIGTERM');
    await subprocess;
    const tail = await readLogTail(logPath, 10);
    await fs.rm(paths.dir, { recursive: true, force: true });
    const detail = outcome.message.includes('last lines') || tail === '' ? '' : `\n--- last lines of the supervisor log ---\n${tail}`;
    throw new LbxError(outcome.code, `${outcome.message}${detail}`);
  }

  if (subprocess.connected) subprocess.disconnect();
  subprocess.unref();
  const file = await readClusterFile(paths);
  if (file === undefined) throw new LbxError('runtime', `cluster "${spec.name}" said it was ready but ${paths.clusterFile} is unreadable`);
  return { file, readyMs: Math.round(performance.now() - startedAt) };
}
