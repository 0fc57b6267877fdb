// Asks whether a recorded pid is still the process lbx started, so a reused pid is never trusted or signalled.
import { readdirSync, readFileSync } from 'node:fs';

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
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      .split('\0')
      .filter((part) => part !== '');
  } catch {
    return undefined;
  }
}

/**
 * True when `pid` is alive and every marker (the role, the cluster directory) is a whole
 * element of its argv: `…/.lbx/lab` must not match a process of `…/.lbx/lab2`.
 * Without /proc only liveness can be checked.
 */
export function isOurProcess(pid: number, markers: readonly string[]): boolean {
  if (!isProcessAlive(pid)) return false;
  const argv = processArgv(pid);
  if (argv === undefined) return process.platform !== 'linux';
  return markers.every((marker) => argv.includes(marker));
}

/**
 * Live processes whose argv holds every marker as a whole element, found by scanning /proc: how a
 * supervisor or child is found when no file names its pid. Empty where /proc is unavailable.
 */
export function findProcessesWithArgv(markers: readonly string[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const argv = processArgv(pid);
    if (argv !== undefined && markers.every((marker) => argv.includes(marker))) pids.push(pid);
  }
  return pids;
}

/**
 * Signals a process group led by `pid` (lbx spawns every child as a group leader, so
 * consul under its guard is reached too), falling back to the pid alone when it leads no
 * group. False when nothing was there.
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  return signalProcess(-pid, signal) || signalProcess(pid, signal);
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
