// A backend host (`up --backend-processes K`): one process serving several backends in worker threads, one or a few a thread.
//
// Each backend keeps its own port, gRPC server, registrations and log file. Alone in its thread (the default,
// `--backends-per-thread 1`) it has its own event loop, so a CPU_HEAVY task on one does not stall another's answers;
// sharing a thread, its CPU_HEAVY work runs in 1 ms slices, so a neighbour's answer waits about that long. The
// supervisor talks to the host over the IPC channel it spawned it with: start a backend, stop one gracefully (it
// leaves the LB and the registry and drains, as on SIGTERM), or kill one: alone in its thread, Worker.terminate()
// stops the thread at once and its sockets close; sharing one, RunningBackend.kill() cuts its connections, stops its
// timers and drops its work in the thread. Either way it neither leaves nor drains, as on SIGKILL. The host tells the
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

/** Host → worker: start a backend in this thread, stop one gracefully, or kill one (the others of the thread go on). */
export type WorkerRequest =
  | { readonly type: 'start'; readonly port: number; readonly start: WorkerStart }
  | { readonly type: 'stop'; readonly port: number; readonly reason: 'SIGTERM' | 'supervisor-gone' }
  | { readonly type: 'kill'; readonly port: number };
/** Worker → host: a backend of the thread is ready, or has ended (code 0: drained; 1: failed to start; null: killed). */
export type WorkerReport =
  { readonly type: 'ready'; readonly port: number; readonly address: string } | { readonly type: 'exit'; readonly port: number; readonly code: number | null };

/**
 * What a worker is told to start a backend with: options the host parsed from the backend's flags, so a worker
 * loads the backend's own code and nothing of the command line (oclif cost each of 256 workers tens of ms).
 */
export interface WorkerStart {
  readonly options: Omit<BackendOptions, 'onEvent' | 'signal'>;
  readonly logPath: string;
}

/** Turns a backend's flags (what `lbx serve backend` would be given) into its options; throws a message naming the bad flag. */
export type ParseBackendArgv = (argv: readonly string[]) => Promise<Omit<BackendOptions, 'onEvent' | 'signal'>>;

/**
 * V8 limits for one thread's isolate: a backend's live heap is a few MB, and a 2 MB young
 * generation (as --max-semi-space-size=1 for process roles) keeps each isolate's RSS small.
 */
const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 96 } as const;

/**
 * CPU_HEAVY units between yields for a backend sharing its thread: about 1 ms, so another backend of the thread waits
 * about a millisecond per busy neighbour for its turn, instead of a whole 55 ms slice.
 */
export const SHARED_THREAD_SLICE_UNITS = 2;

interface HostedThread {
  /** Numbered from 1 in the order started, for the host's log. */
  readonly number: number;
  readonly worker: Worker;
  /** The backends it serves, starting ones included. */
  readonly ports: Set<number>;
  /** Its last backend ended or it was terminated: it takes no new backend. */
  isEnding: boolean;
}

interface HostedBackend {
  readonly thread: HostedThread;
  isKilled: boolean;
}

/**
 * The host's threads, each serving up to `backendsPerThread` backends. One a thread (the default) is the most
 * isolated: its own event loop, ended at once by Worker.terminate() on kill. More a thread share the start-up cost
 * of a thread (Node's bootstrap and the bundle, about 120–150 ms of CPU each here) among them, which is most of what a
 * 256-backend cluster spends coming up; a killed one is then ended inside its thread (RunningBackend.kill).
 */
export class BackendHost {
  private readonly threads = new Set<HostedThread>();
  private readonly backends = new Map<number, HostedBackend>();
  private threadsStarted = 0;

  constructor(
    /** The worker's script and the argv it is given (a bundle runner and its bundle, or the worker's own module). */
    private readonly workerEntry: readonly [string, ...string[]],
    private readonly parseArgv: ParseBackendArgv,
    private readonly report: (report: HostReport) => void,
    private readonly log: (line: string) => void,
    private readonly backendsPerThread = 1,
  ) {}

  get size(): number {
    return this.backends.size;
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
        this.backends.get(request.port)?.thread.worker.postMessage({ type: 'stop', port: request.port, reason: 'SIGTERM' } satisfies WorkerRequest);
        return;
      case 'kill':
        this.kill(request.port);
    }
  }

  /** Stops every backend: drained (SIGTERM to the host) or at once (an orphan); resolves when every thread has ended. */
  async stopAll(reason: 'SIGTERM' | 'supervisor-gone'): Promise<void> {
    const ended = [...this.threads].map(({ worker }) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
    for (const [port, { thread }] of this.backends) thread.worker.postMessage({ type: 'stop', port, reason } satisfies WorkerRequest);
    await Promise.all(ended);
  }

  private start(port: number, start: WorkerStart): void {
    if (this.backends.has(port)) {
      this.log(`backend ${port} is already running here; start refused`);
      this.report({ type: 'backend-exit', port, code: 1, signal: null });
      return;
    }
    const thread = this.threadWithRoom() ?? this.startThread();
    thread.ports.add(port);
    this.backends.set(port, { thread, isKilled: false });
    this.log(`backend ${port} starts in worker thread ${thread.number}`);
    const options = this.backendsPerThread > 1 ? { ...start.options, workSliceUnits: SHARED_THREAD_SLICE_UNITS } : start.options;
    thread.worker.postMessage({ type: 'start', port, start: { ...start, options } } satisfies WorkerRequest);
  }

  private threadWithRoom(): HostedThread | undefined {
    for (const thread of this.threads) if (!thread.isEnding && thread.ports.size < this.backendsPerThread) return thread;
    return undefined;
  }

  private startThread(): HostedThread {
    const [workerFile, ...workerArgv] = this.workerEntry;
    const worker = new Worker(workerFile, { argv: workerArgv, resourceLimits: WORKER_RESOURCE_LIMITS, stdout: false, stderr: false });
    this.threadsStarted += 1;
    const thread: HostedThread = { number: this.threadsStarted, worker, ports: new Set(), isEnding: false };
    this.threads.add(thread);
    this.log(`worker thread ${thread.number} started (up to ${this.backendsPerThread} backends a thread)`);
    worker.on('message', (message: WorkerReport) => {
      if (message.type === 'ready') this.report({ type: 'backend-ready', port: message.port, address: message.address });
      else this.ended(message.port, message.code);
    });
    worker.on('error', (error) => this.log(`backend thread of ${[...thread.ports].join(', ') || 'no backend'} failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => {
      this.threads.delete(thread);
      thread.isEnding = true;
      // Whatever the thread still served ended with it: killed (terminate) or crashed.
      for (const port of [...thread.ports]) this.ended(port, code);
    });
    return thread;
  }

  /** A backend ended (its report, or its thread's end); a thread left with none is ended too. */
  private ended(port: number, code: number | null): void {
    const hosted = this.backends.get(port);
    if (hosted === undefined) return;
    this.backends.delete(port);
    const { thread } = hosted;
    thread.ports.delete(port);
    this.log(`backend ${port} ${hosted.isKilled ? 'killed' : `exited with code ${code}`}`);
    this.report({ type: 'backend-exit', port, code: hosted.isKilled ? null : code, signal: hosted.isKilled ? 'SIGKILL' : null });
    if (thread.ports.size === 0 && !thread.isEnding) {
      thread.isEnding = true;
      void thread.worker.terminate();
    }
  }

  private kill(port: number): void {
    const hosted = this.backends.get(port);
    if (hosted === undefined) return;
    hosted.isKilled = true;
    const { thread } = hosted;
    if (thread.ports.size > 1) {
      thread.worker.postMessage({ type: 'kill', port } satisfies WorkerRequest);
      return;
    }
    // Alone in its thread: the thread goes, as a process does on SIGKILL.
    thread.isEnding = true;
    void thread.worker.terminate();
  }
}
