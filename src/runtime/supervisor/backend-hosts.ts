// The supervisor's side of `up --backend-processes K`: K backend-host processes, and each backend in one of them as a child of its own.
//
// A HostedBackend looks to the supervisor like a ManagedChild (SupervisedChild): ready, exit,
// signal, stop. SIGTERM stops that backend alone, gracefully (it leaves the LB and the registry
// and drains); SIGKILL ends its worker thread at once (Worker.terminate), which closes its
// sockets without a goodbye, as a crash would. The host process carries on serving its other
// backends. When a host process itself dies, every backend in it exits with it; the next start
// of any of them spawns the host again.
import { EventEmitter } from 'node:events';

import { LbxError } from '../../core/lbx-error.js';
import type { HostReport, HostRequest } from '../backend/backend-host.js';
import { describeExit, readLogTail, type ChildExit, type ManagedChild, type SupervisedChild } from '../process/managed-child.js';
import type { RoleMessage } from '../process/role-lifecycle.js';
import type { RoleCommand } from './role-commands.js';

const LOG_TAIL_LINES = 15;
/** A host waits for its backends' drains (see backend-host-role.ts); this is on top of the slowest. */
const HOST_STOP_GRACE_MS = 15_000;

/** Everything after `serve backend` in a backend's command line: what its worker thread parses. */
export function backendArgvOf(command: RoleCommand): string[] {
  const at = command.args.findIndex((arg, index) => arg === 'serve' && command.args[index + 1] === 'backend');
  if (at < 0) throw new Error(`not a backend command: ${command.args.join(' ')}`);
  return command.args.slice(at + 2);
}

/** Which of `hosts` serves the backend on `port`: spread by port, so neighbours share no process. */
export const hostIndexOf = (port: number, basePort: number, hosts: number): number => (port - basePort) % hosts;

interface Host {
  child: ManagedChild | undefined;
  starting: Promise<ManagedChild> | undefined;
  readonly backends: Map<number, HostedBackend>;
}

export class BackendHosts {
  private readonly hosts: Host[];

  constructor(
    count: number,
    private readonly basePort: number,
    private readonly spawnHost: (index: number) => ManagedChild,
    private readonly readyTimeoutMs: number,
  ) {
    this.hosts = Array.from({ length: count }, () => ({ child: undefined, starting: undefined, backends: new Map() }));
  }

  /** Makes sure the host of the backend on `port` runs and is ready (it is spawned on first use, and again after it died). */
  async ensureHostFor(port: number): Promise<void> {
    const host = this.hostOf(port);
    if (host.child?.isRunning) return;
    host.starting ??= this.startHost(host, this.hosts.indexOf(host)).finally(() => (host.starting = undefined));
    await host.starting;
  }

  /** Starts the backend on `port` in its (running) host. */
  launch(port: number, name: string, command: RoleCommand, logPath: string): HostedBackend {
    const host = this.hostOf(port);
    const child = host.child;
    if (!child?.isRunning) throw new LbxError('runtime', `the backend host of ${name} is not running`);
    const backend = new HostedBackend(name, port, child, logPath);
    host.backends.set(port, backend);
    backend.on('exit', () => {
      if (host.backends.get(port) === backend) host.backends.delete(port);
    });
    child.send({ type: 'start', port, argv: backendArgvOf(command), logPath } satisfies HostRequest);
    return backend;
  }

  /** Stops every host (their backends were stopped first, or go with them). */
  async stopAll(): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.child?.stop(HOST_STOP_GRACE_MS)));
  }

  private hostOf(port: number): Host {
    const host = this.hosts[hostIndexOf(port, this.basePort, this.hosts.length)];
    if (host === undefined) throw new Error(`no backend host for port ${port}`);
    return host;
  }

  private async startHost(host: Host, index: number): Promise<ManagedChild> {
    const child = this.spawnHost(index);
    host.child = child;
    child.on('message', (message) => {
      const report = message as unknown as HostReport;
      if (report.type === 'backend-ready' || report.type === 'backend-exit') host.backends.get(report.port)?.hear(report);
    });
    child.on('exit', (exit) => {
      for (const backend of [...host.backends.values()]) backend.hostExited(exit);
    });
    await child.waitReady(this.readyTimeoutMs);
    return child;
  }
}

interface HostedBackendEvents {
  exit: [ChildExit];
  message: [RoleMessage];
}

/** One backend in a backend host, as the supervisor sees it. */
export class HostedBackend extends EventEmitter<HostedBackendEvents> implements SupervisedChild {
  private exitInfo: ChildExit | undefined;
  private readonly exited: Promise<ChildExit>;
  private resolveExited: (exit: ChildExit) => void = () => undefined;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly host: ManagedChild,
    private readonly logPath: string,
  ) {
    super();
    this.exited = new Promise((resolve) => {
      this.resolveExited = resolve;
    });
  }

  /** The host's pid: what `status` shows and what a SIGKILL of the whole process would take down with it. */
  get pid(): number {
    return this.host.pid;
  }

  get isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  hear(report: Extract<HostReport, { port: number }>): void {
    if (report.type === 'backend-ready') this.emit('message', { type: 'ready', address: report.address });
    else this.end({ code: report.code, signal: report.signal, atUnixMs: Date.now() });
  }

  hostExited(exit: ChildExit): void {
    this.end(exit);
  }

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
        void this.failure(`${this.name} exited with ${describeExit(exit)} before it was ready`, 'runtime').then(reject);
      };
      const timer = setTimeout(() => {
        cleanup();
        void this.failure(`${this.name} not ready after ${timeoutMs} ms`, 'timeout').then(reject);
      }, timeoutMs);
      if (this.exitInfo) onExit(this.exitInfo);
      else {
        this.on('message', onMessage);
        this.on('exit', onExit);
      }
    });
  }

  /** SIGTERM: this backend leaves and drains; SIGKILL: its thread ends at once. Never the host process. */
  signal(signal: NodeJS.Signals): boolean {
    if (!this.isRunning) return false;
    const type = signal === 'SIGKILL' ? 'kill' : 'stop';
    return this.host.send({ type, port: this.port } satisfies HostRequest);
  }

  async stop(graceMs = HOST_STOP_GRACE_MS): Promise<ChildExit> {
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

  private end(exit: ChildExit): void {
    if (this.exitInfo !== undefined) return;
    this.exitInfo = exit;
    this.emit('exit', exit);
    this.resolveExited(exit);
  }

  private async failure(message: string, code: 'runtime' | 'timeout'): Promise<LbxError> {
    const tail = await readLogTail(this.logPath, LOG_TAIL_LINES);
    const detail = tail ? `\n--- last lines of ${this.logPath} ---\n${tail}` : ` (log: ${this.logPath})`;
    return new LbxError(code, `${message}${detail}`);
  }
}
