// Field checks for LoadBalancer RPCs; each message names the field, the value and what was expected.
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import type { TaskKind } from '../../core/policies/policy.js';

const MAX_ID_LENGTH = 128;
const MAX_KEY_LENGTH = 256;
const MAX_EXCLUDED = 64;
const MAX_REASON_LENGTH = 200;
const ADDRESS_PATTERN = /^(?<host>[A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:]+\]):(?<port>\d{1,5})$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = <T>(message: string): Checked<T> => ({ ok: false, message });

export function checkTaskType(type: number): Checked<TaskKind> {
  if (type === TaskType.SIMPLE) return { ok: true, value: 'SIMPLE' };
  if (type === TaskType.CPU_HEAVY) return { ok: true, value: 'CPU_HEAVY' };
  return fail(`unknown task_type ${type}: expected SIMPLE (1) or CPU_HEAVY (2)`);
}

export function checkAddress(field: string, address: string): Checked<string> {
  const match = ADDRESS_PATTERN.exec(address);
  const port = Number(match?.groups?.port);
  if (!match || port < 1 || port > 65_535) {
    return fail(`${field} "${address.slice(0, 80)}" is not a host:port address (port 1–65535)`);
  }
  return { ok: true, value: address };
}

export function checkLength(field: string, value: string, max: number, required = false): Checked<string> {
  if (required && value.length === 0) return fail(`${field} is empty: expected 1–${max} characters`);
  if (value.length > max) return fail(`${field} is ${value.length} characters: expected at most ${max}`);
  return { ok: true, value };
}

export function checkGetServer(request: { clientId: string; taskType: number; key: string; exclude: string[] }): Checked<{
  kind: TaskKind;
  exclude: ReadonlySet<string>;
}> {
  const kind = checkTaskType(request.taskType);
  if (!kind.ok) return kind;
  const clientId = checkLength('client_id', request.clientId, MAX_ID_LENGTH);
  if (!clientId.ok) return clientId;
  const key = checkLength('key', request.key, MAX_KEY_LENGTH);
  if (!key.ok) return key;
  if (request.exclude.length > MAX_EXCLUDED) return fail(`exclude has ${request.exclude.length} entries: expected at most ${MAX_EXCLUDED}`);
  for (const address of request.exclude) {
    const checked = checkAddress('exclude entry', address);
    if (!checked.ok) return checked;
  }
  return { ok: true, value: { kind: kind.value, exclude: new Set(request.exclude) } };
}

export const checkBackendId = (id: string): Checked<string> => checkLength('backend_id', id, MAX_ID_LENGTH, true);
export const checkReason = (reason: string): Checked<string> => checkLength('reason', reason, MAX_REASON_LENGTH);

export function checkLoadFigures(report: { inFlight: number; queueDepth: number; cpuPercent: number; recentLatencyMs: number }): Checked<null> {
  for (const [field, value] of [
    ['cpu_percent', report.cpuPercent],
    ['recent_latency_ms', report.recentLatencyMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) return fail(`${field} ${value} is invalid: expected a finite number ≥ 0`);
  }
  if (report.queueDepth > report.inFlight) {
    return fail(`queue_depth ${report.queueDepth} exceeds in_flight ${report.inFlight}: queued tasks are part of in-flight`);
  }
  return { ok: true, value: null };
}
