// Field checks for LoadBalancer RPCs; each message names the field, the value and what was expected.
import type { TaskKind } from '../../core/policies/policy.js';
import { checkAddress, checkLength, checkTaskType, fail, MAX_ID_LENGTH, MAX_KEY_LENGTH, type Checked } from '../grpc/field-checks.js';
import type { WideFieldSchema } from '../grpc/wide-integers.js';
import type { LoadBalancerService } from '../wire/gen/lbx/v1/load_balancer.js';

const MAX_EXCLUDED = 64;
const MAX_REASON_LENGTH = 200;

const NO_EXCLUSIONS: ReadonlySet<string> = new Set();

export function checkGetServer(request: { clientId: string; taskType: number; key: string; exclude: string[] }): Checked<{
  kind: TaskKind;
  exclude: ReadonlySet<string>;
}> {
  const kind = checkTaskType('task_type', request.taskType);
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
  // Almost every pick excludes nothing: they share one empty set rather than make one each (the LB's hot path).
  return { ok: true, value: { kind: kind.value, exclude: request.exclude.length === 0 ? NO_EXCLUSIONS : new Set(request.exclude) } };
}

/**
 * PickDone reports ride on a pick request, and are never a reason to refuse it: a field that
 * makes no sense is read leniently, so a good pick is not failed over bookkeeping. Unknown
 * request ids are skipped by the tracker. A latency that is negative or not finite is dropped
 * (the call still ends). status_code is passed on as sent: the balancer takes a failure
 * whose code is no gRPC code (above 16, or 0 from a client that sent none) as UNKNOWN,
 * which counts towards ejection (see judgeOutcome in core/health/outlier-ejection.ts).
 */
export function pickDoneLatencyMs(report: { latencyMs: number }): number | undefined {
  return Number.isFinite(report.latencyMs) && report.latencyMs >= 0 ? report.latencyMs : undefined;
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

/** A positive factor such as a weight or speed: 0 means "not given" (the default, 1); up to `max`. */
export function checkFactor(field: string, value: number, max: number, min = 0): Checked<number> {
  if (value === 0) return { ok: true, value: 1 };
  if (!Number.isFinite(value) || value < min || value <= 0 || value > max) {
    return fail(`${field} ${value} is out of range: expected a number ${min > 0 ? `from ${min}` : 'above 0'} to ${max} (0 = default 1)`);
  }
  return { ok: true, value };
}

const PICK_REQUEST_WIDE_FIELDS: WideFieldSchema = {
  5: { name: 'request_id', kind: 'uint64' },
  6: { name: 'done', kind: 'message', fields: { 1: { name: 'request_id', kind: 'uint64' } } },
};

/**
 * The 64-bit integers of each LoadBalancer request, so one beyond 2^53 − 1 is refused as
 * INVALID_ARGUMENT naming it (see wide-integers.ts). Every method is listed, so any body that
 * does not decode is the caller's error, not INTERNAL.
 */
export const LB_WIDE_FIELDS: { readonly [method in keyof LoadBalancerService]: WideFieldSchema } = {
  getServer: PICK_REQUEST_WIDE_FIELDS,
  getServerStream: PICK_REQUEST_WIDE_FIELDS,
  getServerBatchStream: { 1: { name: 'requests', kind: 'message', fields: PICK_REQUEST_WIDE_FIELDS } },
  registerServer: {},
  deregisterServer: {},
  reportLoad: { 5: { name: 'served_simple', kind: 'uint64' }, 6: { name: 'served_heavy', kind: 'uint64' }, 8: { name: 'rss_bytes', kind: 'uint64' } },
  getStats: {},
  setPolicy: {},
  getLoadHistory: { 1: { name: 'since_unix_ms', kind: 'int64' } },
};
