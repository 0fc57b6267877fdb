// Asks whether a recorded pid is still the process lbx started, so a reused pid is never trusted or signalled.
import { readFileSync } from 'node:fs';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else — alive, and certainly not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's argv, or undefined where /proc is unavailable or the process is gone. */
export function processArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part) => part !== '');
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and its command line contains every marker (e.g. the role
 * and the cluster directory). Without /proc only liveness can be checked.
 */
export function isOurProcess(pid: number, markers: readonly string[]): boolean {
  if (!isProcessAlive(pid)) return false;
  const argv = processArgv(pid);
  if (argv === undefined) return process.platform !== 'linux';
  const joined = argv.join(' ');
  return markers.every((marker) => joined.includes(marker));
}

/** Sends a signal; a process that is already gone (ESRCH) counts as success. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}
