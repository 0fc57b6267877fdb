// Checks a TaskRequest field by field; each failure names the field, the value and what was expected.
import { TaskType } from '../wire/gen/lbx/v1/task.js';
import type { TaskRequest } from '../wire/gen/lbx/v1/backend.js';
import { MAX_WORK_UNITS } from './cpu-work.js';
import type { TaskKind } from '../../core/policies/policy.js';

const MAX_ID_LENGTH = 128;
const MAX_KEY_LENGTH = 256;

export type TaskValidation = { ok: true; kind: TaskKind; units: number } | { ok: false; message: string };

export function validateTask(request: TaskRequest, defaultHeavyUnits: number): TaskValidation {
  if (request.taskId.length > MAX_ID_LENGTH) {
    return { ok: false, message: `task_id is ${request.taskId.length} characters: expected at most ${MAX_ID_LENGTH}` };
  }
  if (request.clientId.length > MAX_ID_LENGTH) {
    return { ok: false, message: `client_id is ${request.clientId.length} characters: expected at most ${MAX_ID_LENGTH}` };
  }
  if (request.key.length > MAX_KEY_LENGTH) {
    return { ok: false, message: `key is ${request.key.length} characters: expected at most ${MAX_KEY_LENGTH}` };
  }
  switch (request.type) {
    case TaskType.SIMPLE:
      if (request.workUnits !== 0) {
        return { ok: false, message: `work_units ${request.workUnits} given for a SIMPLE task: work_units applies to CPU_HEAVY only` };
      }
      return { ok: true, kind: 'SIMPLE', units: 0 };
    case TaskType.CPU_HEAVY:
      if (request.workUnits > MAX_WORK_UNITS) {
        return { ok: false, message: `work_units ${request.workUnits} is out of range: expected 0 (backend default) to ${MAX_WORK_UNITS}` };
      }
      return { ok: true, kind: 'CPU_HEAVY', units: request.workUnits === 0 ? defaultHeavyUnits : request.workUnits };
    default:
      return { ok: false, message: `unknown task type ${request.type}: expected SIMPLE (1) or CPU_HEAVY (2)` };
  }
}
