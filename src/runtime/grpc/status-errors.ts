// gRPC status errors as handlers return them and callers test them; free of grpc-js values (a backend loads none).
import type { Metadata, ServiceError } from '@grpc/grpc-js';

import { Status, statusCodeName } from './status.js';

export const isServiceError = (error: unknown): error is ServiceError => error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';

/** The status name of a gRPC error ("UNAVAILABLE"), or "INTERNAL" for anything else. */
export function statusName(error: unknown): string {
  if (!isServiceError(error)) return 'INTERNAL';
  return statusCodeName(error.code) ?? `CODE_${error.code}`;
}

/**
 * Status details travel in HTTP/2 trailers, which a peer caps (grpc-js: 16 KiB of headers by
 * default); an error quoting a huge request field (a 1 MiB policy name) would overflow them and
 * stall the connection for every later call. Details are cut well below that.
 */
export const MAX_STATUS_DETAILS = 1_024;

export function capDetails(details: string): string {
  return details.length <= MAX_STATUS_DETAILS ? details : `${details.slice(0, MAX_STATUS_DETAILS)}… (${details.length - MAX_STATUS_DETAILS} more characters)`;
}

/**
 * An error shaped like grpc-js's own ("14 UNAVAILABLE: …", with code, details and metadata), for a call a client ends
 * itself, so callers handle it as a grpc-js call's; `metadata` is grpc-js's or the lean client's (it has none to give).
 */
export const callErrorWith = (code: number, details: string, metadata: Pick<Metadata, 'get'>): ServiceError =>
  Object.assign(new Error(`${code} ${statusCodeName(code) ?? 'UNKNOWN'}: ${details}`), { code, details, metadata }) as unknown as ServiceError;

/** A status error to hand to a unary callback; long details are cut (see capDetails). */
export function statusError(code: number, details: string): Partial<ServiceError> {
  const capped = capDetails(details);
  return { code, details: capped, message: capped };
}

export const invalidArgument = (details: string): Partial<ServiceError> => statusError(Status.INVALID_ARGUMENT, details);
