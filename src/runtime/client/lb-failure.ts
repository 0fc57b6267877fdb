// Which failures mean "the LB is down or restarting, wait for it" rather than "this try failed".
import { status as GrpcStatus } from '@grpc/grpc-js';

import { isServiceError } from '../grpc/status-errors.js';

/**
 * wait-for-lb: pause and ask again, without using a retry · retry-all: every backend is excluded,
 * ask again without exclusions (a retry: one that failed may be back, e.g. respawned) · final:
 * asking again cannot help.
 */
export type PickFailureAction = 'wait-for-lb' | 'retry-all' | 'final';

/** grpc-js's words for a call that never reached its server, or lost it mid-way. */
const TRANSPORT_DETAILS = /No connection established|Connection dropped|Stream refused|Write (?:error|failed)|Waiting for LB pick|ECONNREFUSED|ECONNRESET|EPIPE/i;

/** The LB runs but has no backend to give: it has just restarted and not heard from the registry yet, or every backend is down. */
const NO_BACKEND = /^no healthy backend/;

/** The LB has backends, but only ones this request already failed on: asking again gets the same answer. */
const EXCLUDED_ALL = /excluded by the client/;

/**
 * A GetServer that failed. A request the LB rejects as invalid cannot be cured by asking again.
 * One whose every candidate it has already excluded may be, once a failed backend is back, at
 * the price of a retry; every other failure — the stream broke, no reply in time, the LB
 * unreachable or holding no backends yet — is waited out.
 */
export function pickFailureAction(error: unknown): PickFailureAction {
  if (!isServiceError(error)) return 'final';
  if (error.code === GrpcStatus.INVALID_ARGUMENT) return 'final';
  if (EXCLUDED_ALL.test(error.details ?? '')) return 'retry-all';
  return 'wait-for-lb';
}

/**
 * A task sent to the LB in proxy mode that failed: true when the LB itself was unreachable (the
 * connection failed, or the channel is not connected) or had no backend at all yet, so the task
 * should wait for it instead of spending a retry. Failures the LB passed on from a backend are not.
 */
export function isProxyUnavailable(error: unknown, isChannelReady: boolean): boolean {
  if (!isServiceError(error)) return false;
  const details = error.details ?? '';
  if (NO_BACKEND.test(details) || TRANSPORT_DETAILS.test(details)) return true;
  return error.code === GrpcStatus.UNAVAILABLE && !isChannelReady;
}

/** grpc-js's words for a call that was under way when its connection broke: the LB may have forwarded it. */
const BROKEN_MID_CALL = /Connection dropped|ECONNRESET|EPIPE/i;

/** True when a proxy-mode call failed after reaching the LB, so a backend may have served it (a lost answer). */
export function mayHaveBeenForwarded(error: unknown): boolean {
  return isServiceError(error) && BROKEN_MID_CALL.test(error.details ?? '');
}

/** Why the LB could not serve a try, in words that stay the same across the run (so failures group by reason). */
export function describeLbUnavailable(error: unknown, lbAddress: string): string {
  const details = isServiceError(error) ? (error.details ?? '') : '';
  if (NO_BACKEND.test(details)) return `the LB at ${lbAddress} has no healthy backend`;
  if (isServiceError(error) && error.code === GrpcStatus.DEADLINE_EXCEEDED) return `the LB at ${lbAddress} did not answer in time`;
  return `the LB at ${lbAddress} is unreachable (${isServiceError(error) ? (GrpcStatus[error.code] ?? `code ${error.code}`) : String(error)})`;
}
