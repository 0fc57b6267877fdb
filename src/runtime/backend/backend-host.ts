// A backend host (`up --backend-processes K`): one process serving several backends, each in its own worker thread.
//
// Each backend keeps its own port, event loop, gRPC server, registrations and log file, so a
// CPU_HEAVY task on one does not stall another's answers. The supervisor talks to the host over
// the IPC channel it spawned it with: start a backend, stop one gracefully (it leaves the LB and
// the registry and drains, as on SIGTERM), or kill one (Worker.terminate(): its thread stops at
// once and its sockets close, without leaving or draining, as on SIGKILL). The host tells the
// supervisor when a backend is ready and when it exits.
import { Worker } from 'node:worker_threads';

import type { BackendOptions } from './backend-options.js';

/** Supervisor → host. `argv` is what `lbx serve backend` would be given. */
export type HostRequest =
  | { readonly type: 'start'; readonly port: number; readonly argv: readonly string[]; readonly logPath: string }
  | { readonly type: 'stop'; readonly port: number }
  | { readonly type: 'kill'; readonly port: number };

/** Host → supervisor. A killed backend's exit has signal 'SIGKILL'; a drained one code 0. */
export type HostReport =
  | { readonly type: 'ready'; readonly address: string }
  | { readonly type: 'backend-ready'; readonly port: number; readonly address: string }
  | { readonly type: 'backend-exit'; readonly port: number; readonly code: number | null; readonly signal: 'SIGKILL' | null };

/** Host → worker, and worker → host. */
export type WorkerRequest = { readonly type: 'stop'; readonly reason: 'SIGTERM' | 'supervisor-gone' };
export type WorkerReport = { readonly type: 'ready'; readonly address: string };

/**
 * What a worker is started with (workerData): options the host parsed from the backend's flags, so a worker
 * loads the backend's own code and nothing of the command line (oclif cost each of 256 workers tens of ms).
 */
export interface WorkerStart {
  readonly options: Omit<BackendOptions, 'onEvent'>;
  readonly logPath: string;
}

/** Turns a backend's flags (what `lbx serve backend` would be given) into its options; throws a message naming the bad flag. */
export type ParseBackendArgv = (argv: readonly string[]) => Promise<Omit<BackendOptions, 'onEvent'>>;

/**
 * V8 limits for one backend's isolate: a backend's live heap is a few MB, and a 1 MB young
 * generation (as --max-semi-space-size=1 for process roles) keeps each isolate's RSS small.
 */
const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 96 } as const;

interface HostedWorker {
  readonly worker: Worker;
  isKilled: boolean;
}

export class BackendHost {
  private readonly workers = new Map<number, HostedWorker>();

  constructor(
    /** The worker's script and the argv it is given (a bundle runner and its bundle, or the worker's own module). */
    private readonly workerEntry: readonly [string, ...string[]],
    private readonly parseArgv: ParseBackendArgv,
    private readonly report: (report: HostReport) => void,
    private readonly log: (line: string) => void,
  ) {}

  get size(): number {
    return this.workers.size;
  }

  handle(request: HostRequest): void {
    switch (request.type) {
      case 'start':
        void this.parseArgv(request.argv).then(
          (options) => this.start(request.port, { options, logPath: request.logPath }),
          (error: unknown) => {
            this.log(`backend ${request.port}: ${error instanceof Error ? error.message : String(error)}`);
            this.report({ type: 'backend-exit', port: request.port, code: 1, signal: null });
          },
        );
        return;
      case 'stop':
        this.workers.get(request.port)?.worker.postMessage({ type: 'stop', reason: 'SIGTERM' } satisfies WorkerRequest);
        return;
      case 'kill':
        this.kill(request.port);
    }
  }

  /** Stops every backend: drained (SIGTERM to the host) or at once (an orphan); resolves when every thread has ended. */
  async stopAll(reason: 'SIGTERM' | 'supervisor-gone'): Promise<void> {
    const ended = [...this.workers.values()].map(({ worker }) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const { worker } of this.workers.values()) worker.postMessage({ type: 'stop', reason } satisfies WorkerRequest);
    await Promise.all(ended);
  }

  private start(port: number, start: WorkerStart): void {
    if (this.workers.has(port)) {
      this.log(`backend ${port} is already running here; start refused`);
      this.report({ type: 'backend-exit', port, code: 1, signal: null });
      return;
    }
    const [workerFile, ...workerArgv] = this.workerEntry;
    const worker = new Worker(workerFile, { argv: workerArgv, workerData: start, resourceLimits: WORKER_RESOURCE_LIMITS, stdout: false, stderr: false });
    const hosted: HostedWorker = { worker, isKilled: false };
    this.workers.set(port, hosted);
    worker.on('message', (message: WorkerReport) => {
      if (message.type === 'ready') this.report({ type: 'backend-ready', port, address: message.address });
    });
    worker.on('error', (error) => this.log(`backend ${port} failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => {
      if (this.workers.get(port) === hosted) this.workers.delete(port);
      this.log(`backend ${port} ${hosted.isKilled ? 'killed' : `exited with code ${code}`}`);
      this.report({ type: 'backend-exit', port, code: hosted.isKilled ? null : code, signal: hosted.isKilled ? 'SIGKILL' : null });
    });
  }

  private kill(port: number): void {
    const hosted = this.workers.get(port);
    if (hosted === undefined) return;
    hosted.isKilled = true;
    void hosted.worker.terminate();
  }
}
