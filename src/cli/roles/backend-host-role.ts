// The backend-host role (`up --backend-processes K`): serves the backends the supervisor starts in it, one worker thread each.
import { clusterDirFlag } from '../flags.js';
import { logLine, runForever } from '../role-log.js';

export const backendHostRoleFlags = { 'cluster-dir': clusterDirFlag };

/** Longer than a backend's whole drain (leave LB and registry, 200 ms, 5 s of in-flight work, final report): see STOP_GRACE_MS. */
const HOST_STOP_DEADLINE_MS = 13_000;

export async function serveBackendHost(): Promise<void> {
  const { BackendHost } = await import('../../runtime/backend/backend-host.js');
  const { announceReady, isSupervised, stopOnSignalOrOrphan } = await import('../../runtime/process/role-lifecycle.js');
  if (!isSupervised()) throw new Error('serve backend-host runs only under a supervisor (lbx up --backend-processes K)');
  const host = new BackendHost(new URL('./backend-worker.js', import.meta.url), (report) => process.send?.(report), logLine);
  process.on('message', (request) => host.handle(request as Parameters<typeof host.handle>[0]));
  stopOnSignalOrOrphan(
    async (reason) => {
      logLine(`stopping ${host.size} backends (${reason})`);
      await host.stopAll(reason === 'supervisor-gone' ? 'supervisor-gone' : 'SIGTERM');
    },
    { stopDeadlineMs: HOST_STOP_DEADLINE_MS, onStopFailed: logLine },
  );
  logLine(`backend host ready (pid ${process.pid})`);
  announceReady(`pid ${process.pid}`);
  await runForever();
}
