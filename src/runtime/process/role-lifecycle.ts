// The child's side of supervision: say "ready" to the supervisor, and stop on SIGTERM or when the supervisor is gone.
//
// Children are spawned with an IPC channel. When the supervisor dies — even by SIGKILL —
// the kernel closes its end and the child sees 'disconnect' at once, so nothing is orphaned.
// An orphan has nobody to drain for and nobody to deregister from (the LB and the registry
// are orphans too): it gets ORPHAN_STOP_DEADLINE_MS to close what it holds, then its whole
// process group is SIGKILLed, which takes a guard's consul or etcd with it.

export type RoleMessage = { readonly type: 'ready'; readonly address: string } | { readonly type: 'event'; readonly event: Record<string, unknown> };

export type StopReason = 'SIGTERM' | 'SIGINT' | 'supervisor-gone';

/** Hard cap on a stop, so a wedged shutdown cannot keep a process alive. */
export const DEFAULT_STOP_DEADLINE_MS = 10_000;
/**
 * An orphan has nobody waiting for a graceful drain: it stops fast. With the time a loaded
 * machine takes to schedule a few dozen orphans and reap them, every child of a SIGKILLed
 * supervisor is gone well within 1.5 s (it was 2.2–3.1 s with a 1.5 s deadline per child).
 */
export const ORPHAN_STOP_DEADLINE_MS = 400;

export const isSupervised = (): boolean => typeof process.send === 'function' && process.connected;

export function sendToSupervisor(message: RoleMessage): void {
  if (isSupervised()) process.send?.(message);
}

export function announceReady(address: string): void {
  sendToSupervisor({ type: 'ready', address });
}

export interface StopOptions {
  /** Hard cap on a stop (an orphan's is shorter: nobody waits for its drain). */
  readonly stopDeadlineMs?: number;
  /** Told why a stop failed, just before the process exits 1 (runtime code does not print). */
  readonly onStopFailed?: (message: string) => void;
}

/**
 * Runs `stop` once, on SIGTERM/SIGINT or when the supervisor's channel closes, then exits.
 * A second signal, or the deadline passing, exits at once.
 */
export function stopOnSignalOrOrphan(stop: (reason: StopReason) => Promise<void>, options: StopOptions = {}): void {
  const stopDeadlineMs = options.stopDeadlineMs ?? DEFAULT_STOP_DEADLINE_MS;
  let stopping = false;
  const begin = (reason: StopReason): void => {
    if (stopping) {
      process.exit(reason === 'supervisor-gone' ? 0 : 130);
    }
    stopping = true;
    const isOrphan = reason === 'supervisor-gone';
    setTimeout(() => (isOrphan ? killOwnGroup() : process.exit(1)), isOrphan ? ORPHAN_STOP_DEADLINE_MS : stopDeadlineMs).unref();
    stop(reason).then(
      () => process.exit(0),
      (error: unknown) => {
        options.onStopFailed?.(`stop failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => begin('SIGTERM'));
  process.on('SIGINT', () => begin('SIGINT'));
  if (isSupervised()) process.on('disconnect', () => begin('supervisor-gone'));
}

/**
 * The end of an orphan that did not stop in time. A supervised role leads its own process
 * group (spawned detached), so SIGKILL to the group ends it and anything it started, such as
 * consul under a guard; a role that leads no group just exits.
 */
function killOwnGroup(): void {
  try {
    process.kill(-process.pid, 'SIGKILL');
  } catch {
    // Not a group leader (started by hand): nothing of ours to take along.
  }
  process.exit(1);
}
