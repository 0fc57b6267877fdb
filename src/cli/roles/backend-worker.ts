// A worker thread of a backend host (`up --backend-processes K`): serves the backends its host starts in it (one, or up
// to `--backends-per-thread`), each with the options its host parsed and its own log file, and stops or kills each one
// when the host asks (see runtime/backend/backend-host.ts).
import { appendFileSync } from 'node:fs';
import { parentPort, type MessagePort } from 'node:worker_threads';

import type { WorkerReport, WorkerRequest, WorkerStart } from '../../runtime/backend/backend-host.js';
import type { BackendOptions, RunningBackend } from '../../runtime/backend/backend-server.js';

/** An orphan's drain, as for a process backend (backend-role.ts). */
const ORPHAN_GRACE_MS = 500;

/** Appends synchronously: a killed worker's last lines are on disk, and a backend writes only a few lines a minute. */
function appendLine(logPath: string, message: string): void {
  try {
    appendFileSync(logPath, `${new Date().toISOString()} ${message}\n`);
  } catch {
    // A backend that cannot log must still serve.
  }
}

const describe = (error: unknown): string => (error instanceof Error ? (error.stack ?? error.message) : String(error));

/** As role-log.ts's logEvent: the type, then key=value (strings bare unless they hold spaces). */
function renderEvent(event: { readonly type: string } & Record<string, unknown>): string {
  const fields = Object.entries(event)
    .filter(([key]) => key !== 'type')
    .map(([key, value]) => `${key}=${typeof value === 'string' && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  return [event.type, ...fields].join(' ');
}

interface ThreadBackend {
  readonly starting: Promise<RunningBackend>;
  /** Ends start-up's registration tries when the backend is killed before it is ready. */
  readonly abort: AbortController;
  readonly log: (message: string) => void;
  isEnding: boolean;
}

class ThreadBackends {
  private readonly backends = new Map<number, ThreadBackend>();

  constructor(
    private readonly host: MessagePort,
    private readonly startBackend: (options: BackendOptions) => Promise<RunningBackend>,
  ) {}

  handle(request: WorkerRequest): void {
    if (request.type === 'start') this.start(request.port, request.start);
    else if (request.type === 'stop') this.end(request.port, (backend) => backend.stop(request.reason, request.reason === 'supervisor-gone' ? ORPHAN_GRACE_MS : undefined), 0);
    else this.end(request.port, (backend) => backend.kill(), null);
  }

  private start(port: number, start: WorkerStart): void {
    const log = (message: string): void => appendLine(start.logPath, message);
    const abort = new AbortController();
    // The supervisor's start-up deadline decides, as for a supervised process (a worker has no IPC channel of its own).
    const starting = this.startBackend({ ...start.options, startTimeoutMs: Number.POSITIVE_INFINITY, signal: abort.signal, onEvent: (event) => log(renderEvent(event)) });
    const backend: ThreadBackend = { starting, abort, log, isEnding: false };
    this.backends.set(port, backend);
    starting.then(
      (running) => {
        if (backend.isEnding) return;
        log(`backend ready on ${running.address} (worker thread)`);
        this.report({ type: 'ready', port, address: running.address });
      },
      (error: unknown) => {
        if (backend.isEnding) return;
        log(`lbx serve backend (worker): ${describe(error)}`);
        this.exited(port, 1);
      },
    );
  }

  /** Stops or kills the backend on `port`, once, then tells the host it ended with `code`. */
  private end(port: number, how: (backend: RunningBackend) => Promise<void>, code: number | null): void {
    const backend = this.backends.get(port);
    if (backend === undefined || backend.isEnding) return;
    backend.isEnding = true;
    if (code === null) backend.abort.abort();
    void backend.starting
      .then(how)
      .catch((error: unknown) => {
        if (code !== null) backend.log(`stop failed: ${describe(error)}`);
      })
      .finally(() => this.exited(port, code));
  }

  private exited(port: number, code: number | null): void {
    this.backends.delete(port);
    this.report({ type: 'exit', port, code });
  }

  private report(report: WorkerReport): void {
    this.host.postMessage(report);
  }
}

async function main(): Promise<void> {
  const host = parentPort;
  if (host === null) throw new Error('backend-worker runs only as a worker thread of a backend host');
  const { startBackend } = await import('../../runtime/backend/backend-server.js');
  const backends = new ThreadBackends(host, startBackend);
  host.on('message', (request: WorkerRequest) => backends.handle(request));
}

main().catch((error: unknown) => {
  // Nothing of this thread can run: its host hears every backend of it end when the thread exits.
  process.stderr.write(`lbx serve backend (worker): ${describe(error)}\n`);
  process.exit(1);
});
