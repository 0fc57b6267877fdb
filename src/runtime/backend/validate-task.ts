// Checks a TaskRequest field by field; each failure names the field, the value and what was expected.
import type { TaskRequest } from '../wire/gen/lbx/v1/backend.js';
import type { TaskKind } from '../../core/policies/policy.js';
import { checkLength, checkTaskType, MAX_ID_LENGTH, MAX_KEY_LENGTH } from '../grpc/field-checks.js';
import { MAX_WORK_UNITS } from './cpu-work.js';

export type TaskValidation = { ok: true; kind: TaskKind; units: number } | { ok: false; message: string };

export function validateTask(request: TaskRequest, defaultHeavyUnits: number): TaskValidation {
  for (const checked of [
    checkLength('task_id', request.taskId, MAX_ID_LENGTH),
    checkLength('client_id', request.clientId, MAX_ID_LENGTH),
    checkLength('key', request.key, MAX_KEY_LENGTH),
  ]) {
    if (!checked.ok) return checked;
  }
  const kind = checkTaskType('type', request.type);
  if (!kind.ok) return kind;
  switch (kind.value) {
    case 'SIMPLE':
      if (request.workUnits !== 0) {
        return { ok: false, message: `work_units ${request.workUnits} given for a SIMPLE task: work_units applies to CPU_HEAVY only` };
      }
      return { ok: true, kind: 'SIMPLE', units: 0 };
    case 'CPU_HEAVY':
      if (request.workUnits > MAX_WORK_UNITS) {
        return { ok: false, message: `work_units ${request.workUnits} is out of range: expected 0 (backend default) to ${MAX_WORK_UNITS}` };
      }
      return { ok: true, kind: 'CPU_HEAVY', units: request.workUnits === 0 ? defaultHeavyUnits : request.workUnits };
  }
}
