// Checks shared by every lbx RPC handler; each failure names the field, the value and what was expected.
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import type { TaskKind } from '../../core/policies/policy.js';

export const MAX_ID_LENGTH = 128;
export const MAX_KEY_LENGTH = 256;
const ADDRESS_PATTERN = /^(?<host>[A-Za-z0-9.-]{1,253}|\[[0-9a-fA-F:]+\]):(?<port>\d{1,5})$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

export const fail = <T>(message: string): Checked<T> => ({ ok: false, message });

export function checkTaskType(field: string, type: number): Checked<TaskKind> {
  if (type === TaskType.SIMPLE) return { ok: true, value: 'SIMPLE' };
  if (type === TaskType.CPU_HEAVY) return { ok: true, value: 'CPU_HEAVY' };
  return fail(`unknown ${field} ${type}: expected SIMPLE (1) or CPU_HEAVY (2)`);
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
