// Promise form of a grpc-js unary call with a deadline, and helpers for status errors.
import { Metadata, status as GrpcStatus, type ServiceError, type ClientUnaryCall, type CallOptions } from '@grpc/grpc-js';

type UnaryMethod<Req, Res> = (request: Req, metadata: Metadata, options: Partial<CallOptions>, callback: (error: ServiceError | null, response: Res) => void) => ClientUnaryCall;

const EMPTY_METADATA = new Metadata();

/** Calls a generated unary client method, bound to its client, with a deadline `timeoutMs` from now; `signal` cancels it (CANCELLED). */
export function callUnary<Req, Res>(method: UnaryMethod<Req, Res>, request: Req, timeoutMs: number, signal?: AbortSignal, metadata: Metadata = EMPTY_METADATA): Promise<Res> {
  return new Promise((resolve, reject) => {
    const call = method(request, metadata, { deadline: Date.now() + timeoutMs }, (error, response) => {
      signal?.removeEventListener('abort', cancel);
      if (error) reject(error);
      else resolve(response);
    });
    const cancel = (): void => call.cancel();
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
  });
}

export const isServiceError = (error: unknown): error is ServiceError => error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';

/** The status name of a gRPC error ("UNAVAILABLE"), or "INTERNAL" for anything else. */
export function statusName(error: unknown): string {
  if (!isServiceError(error)) return 'INTERNAL';
  return GrpcStatus[error.code] ?? `CODE_${error.code}`;
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

/** An error shaped like grpc-js's own, for a call a client ends itself (a streamed task or pick), so callers handle it as a unary call's. */
export const callError = (code: GrpcStatus, details: string): ServiceError =>
  Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details, metadata: new Metadata() });

/** A status error to hand to a unary callback; long details are cut (see capDetails). */
export function statusError(code: GrpcStatus, details: string): Partial<ServiceError> {
  const capped = capDetails(details);
  return { code, details: capped, message: capped };
}

export const invalidArgument = (details: string): Partial<ServiceError> => statusError(GrpcStatus.INVALID_ARGUMENT, details);
