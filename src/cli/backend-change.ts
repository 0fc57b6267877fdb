// What add, start, rm and scale print, and how long they may wait for the supervisor.
import type { ClusterFile } from '../runtime/cluster/cluster-file.js';
import type { BackendChange } from '../runtime/wire/gen/lbx/v1/supervisor.js';

/** Stopping a backend drains it for up to 9 s (the supervisor's grace); leave room for the answer. */
const STOP_ALLOWANCE_MS = 12_000;

/** The deadline of a control call that starts and/or stops backends: their readiness timeout or drain, plus slack. */
export function changeTimeoutMs(cluster: ClusterFile): number {
  return Math.max(cluster.spec.readyTimeoutMs, STOP_ALLOWANCE_MS) + 5_000;
}

export function describeChange(verb: string, change: BackendChange): string {
  const pid = change.pid > 0 && verb !== 'removed' ? `, pid ${change.pid}` : '';
  return `${verb} ${change.name} on ${change.address}${pid} in ${change.elapsedMs} ms`;
}

/** One backend started or stopped, as --json prints it. */
export interface ChangeJson {
  readonly name: string;
  readonly port: number;
  readonly address: string;
  readonly pid: number;
  readonly elapsedMs: number;
}

/** The JSON shape of one change, as --json prints it. */
export const changeJson = (change: BackendChange): ChangeJson => ({
  name: change.name,
  port: change.port,
  address: change.address,
  pid: change.pid,
  elapsedMs: change.elapsedMs,
});
