// A stock proxy as a child of its data-plane role: spawned in the role's process group (a group kill takes it
// too), its output into the role's log, stopped by PID with a grace period, its exit observable.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ProxyExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** SIGTERM-to-SIGKILL grace when the role stops its proxy. */
export const PROXY_STOP_GRACE_MS = 3_000;

export class ProxyProcess {
  readonly exited: Promise<ProxyExit>;
  private readonly child: ChildProcess;
  private isRunning = true;

  constructor(binary: string, args: readonly string[]) {
    this.child = spawn(binary, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.isRunning = false;
        resolve({ code, signal });
      });
      this.child.on('error', () => {
        this.isRunning = false;
        resolve({ code: 127, signal: null });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get running(): boolean {
    return this.isRunning;
  }

  /** Sends `signal` to the proxy's master; ESRCH (already gone) is success. */
  signal(signal: NodeJS.Signals): void {
    if (!this.isRunning || this.pid === 0) return;
    try {
      process.kill(this.pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }

  /** SIGTERM, then SIGKILL after the grace: resolves once the master has exited. */
  async stop(graceMs = PROXY_STOP_GRACE_MS): Promise<void> {
    if (!this.isRunning) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
