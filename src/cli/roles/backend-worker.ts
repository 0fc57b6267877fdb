// One backend in a worker thread of a backend host (`up --backend-processes K`): started with the options its host parsed,
// logging to the backend's own log file, stopped when the host asks (see runtime/backend/backend-host.ts).
import { appendFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

import type { WorkerReport, WorkerRequest, WorkerStart } from '../../runtime/backend/backend-host.js';

/** An orphan's drain, as for a process backend (backend-role.ts). */
const ORPHAN_GRACE_MS = 500;

const start = workerData as WorkerStart;

/** Appends synchronously: a killed worker's last lines are on disk, and a backend writes only a few lines a minute. */
function logLine(message: string): void {
  try {
    appendFileSync(start.logPath, `${new Date().toISOString()} ${message}\n`);
  } catch {
    // A backend that cannot log must still serve.
  }
}

/** As role-log.ts's logEvent: the type, then key=value (strings bare unless they hold spaces). */
function renderEvent(event: { readonly type: string } & Record<string, unknown>): string {
  const fields = Object.entries(event)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  return [event.type, ...fields].join(' ');
}

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('backend-worker runs only as a worker thread of a backend host');
  const { startBackend } = await import('../../runtime/backend/backend-server.js');
  // The supervisor's start-up deadline decides, as for a supervised process (a worker has no IPC channel of its own).
  const starting = startBackend({ ...start.options, startTimeoutMs: Number.POSITIVE_INFINITY, onEvent: (event) => logLine(renderEvent(event)) });
  let isStopping = false;
  port.on('message', (request: WorkerRequest) => {
    if (request.type !== 'stop' || isStopping) return;
    isStopping = true;
    void starting
      .then((backend) => backend.stop(request.reason, request.reason === 'supervisor-gone' ? ORPHAN_GRACE_MS : undefined))
      .catch((error: unknown) => logLine(`stop failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`))
      .finally(() => process.exit(0));
  });
  const backend = await starting;
  logLine(`backend ready on ${backend.address} (worker thread)`);
  port.postMessage({ type: 'ready', address: backend.address } satisfies WorkerReport);
}

main().catch((error: unknown) => {
  logLine(`lbx serve backend (worker): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
