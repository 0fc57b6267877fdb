// One child process of the supervisor: spawned in its own process group, watched, and stopped with grace.
import { EventEmitter } from 'node:events';
import { closeSync, openSync, promises as fs } from 'node:fs';

import { execa } from 'execa';

import { LbxError } from '../../core/lbx-error.js';
import type { RoleMessage } from './role-lifecycle.js';
import { signalProcess } from './pid-probe.js';

export const DEFAULT_GRACE_MS = 5_000;
const LOG_TAIL_LINES = 15;

export interface ChildSpec {
  /** Component name: "registry", "lb", "backend-7003". */
  readonly name: string;
  readonly file: string;
  readonly args: readonly string[];
  readonly logPath: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly atUnixMs: number;
}

export const describeExit = (exit: ChildExit): string => (exit.signal ? `signal ${exit.signal}` : `code ${exit.code ?? 'unknown'}`);

/** What the supervisor needs of a child: a process of its own (ManagedChild) or a backend in a backend host's thread (HostedBackend). */
export interface SupervisedChild {
  readonly pid: number;
  readonly isRunning: boolean;
  waitReady(timeoutMs: number): Promise<string>;
  signal(signal: NodeJS.Signals): boolean;
  stop(graceMs?: number): Promise<ChildExit>;
  whenExited(): Promise<ChildExit>;
  on(event: 'exit', listener: (exit: ChildExit) => void): unknown;
}

interface ManagedChildEvents {
  exit: [ChildExit];
  message: [RoleMessage];
}

export class ManagedChild extends EventEmitter<ManagedChildEvents> {
  readonly pid: number;
  private exitInfo: ChildExit | undefined;
  private readonly exited: Promise<ChildExit>;

  private constructor(
    readonly spec: ChildSpec,
    private readonly subprocess: ReturnType<typeof execa>,
  ) {
    super();
    if (subprocess.pid === undefined) {
      throw new LbxError('runtime', `could not start ${spec.name} (${spec.file}); see ${spec.logPath}`);
    }
    this.pid = subprocess.pid;
    this.exited = new Promise((resolve) => {
      subprocess.on('exit', (code, signal) => {
        // The leader is gone, however it went: anything left in its group (consul or etcd under a
        // SIGKILLed guard) goes too, or it would hold the port and data directory against a restart.
        signalProcess(-this.pid, 'SIGKILL');
        this.exitInfo = { code, signal, atUnixMs: Date.now() };
        this.emit('exit', this.exitInfo);
        resolve(this.exitInfo);
      });
    });
    subprocess.on('message', (message) => this.emit('message', message as RoleMessage));
    // execa's promise rejects on spawn failure (ENOENT); 'exit' and the log carry the story.
    subprocess.catch(() => undefined);
  }

  /** Spawns a supervised child; see spawnDetached for how. */
  static spawn(spec: ChildSpec): ManagedChild {
    return new ManagedChild(spec, spawnDetached(spec));
  }

  get exit(): ChildExit | undefined {
    return this.exitInfo;
  }

  get isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  /** Resolves with the address the child reports once it is ready; rejects if it exits first or the deadline passes. */
  waitReady(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('message', onMessage);
        this.off('exit', onExit);
      };
      const onMessage = (message: RoleMessage): void => {
        if (message.type !== 'ready') return;
        cleanup();
        resolve(message.address);
      };
      const onExit = (exit: ChildExit): void => {
        cleanup();
        void this.failure(`${this.spec.name} exited with ${describeExit(exit)} before it was ready`, 'runtime').then(reject);
      };
      const timer = setTimeout(() => {
        cleanup();
        void this.failure(`${this.spec.name} not ready after ${timeoutMs} ms`, 'timeout').then(reject);
      }, timeoutMs);
      if (this.exitInfo) onExit(this.exitInfo);
      else {
        this.on('message', onMessage);
        this.on('exit', onExit);
      }
    });
  }

  /** Sends a message over the IPC channel (a backend host's requests); false when the child is gone. */
  send(message: Record<string, unknown>): boolean {
    if (!this.isRunning) return false;
    void this.subprocess.sendMessage?.(message as never).catch(() => undefined);
    return true;
  }

  /** Sends `signal` to the child's process group; false when it was already gone. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.isRunning) return false;
    return signalProcess(-this.pid, signal);
  }

  /** SIGTERM to the process group, up to `graceMs` to exit, then SIGKILL. */
  async stop(graceMs: number = DEFAULT_GRACE_MS): Promise<ChildExit> {
    if (this.isRunning) {
      this.signal('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace-over'>((resolve) => {
        timer = setTimeout(() => resolve('grace-over'), graceMs);
      });
      const first = await Promise.race([this.exited, graceOver]);
      clearTimeout(timer);
      if (first === 'grace-over') this.signal('SIGKILL');
    }
    return this.exited;
  }

  whenExited(): Promise<ChildExit> {
    return this.exited;
  }

  /** An error naming what happened, with the end of the child's log. */
  private async failure(message: string, code: 'runtime' | 'timeout'): Promise<LbxError> {
    const tail = await readLogTail(this.spec.logPath, LOG_TAIL_LINES);
    const detail = tail ? `\n--- last lines of ${this.spec.logPath} ---\n${tail}` : ` (log: ${this.spec.logPath})`;
    return new LbxError(code, `${message}${detail}`);
  }
}

/**
 * Spawns a process detached (its own process group, so a stop reaches its children too), with
 * stdout and stderr appended to its log file and an IPC channel for readiness and orphan detection.
 */
export function spawnDetached(spec: Pick<ChildSpec, 'file' | 'args' | 'logPath' | 'env'>): ReturnType<typeof execa> {
  // execa's types accept only literal fd numbers; a real fd opened here is just as valid at run time.
  const logFd = openSync(spec.logPath, 'a') as 3;
  try {
    return execa(spec.file, [...spec.args], {
      detached: true,
      cleanup: false,
      reject: false,
      buffer: false,
      ipc: true,
      serialization: 'json',
      stdin: 'ignore',
      stdout: logFd,
      stderr: logFd,
      env: spec.env,
    });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(logFd);
  }
}

export async function readLogTail(logPath: string, lines: number): Promise<string> {
  try {
    const text = await fs.readFile(logPath, 'utf8');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
