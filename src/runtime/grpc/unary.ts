// Promise form of a grpc-js unary call with a deadline, and the error of a call a client ends itself.
import { Metadata, type status as GrpcStatus, type ServiceError, type ClientUnaryCall, type CallOptions } from '@grpc/grpc-js';

import { callErrorWith } from './status-errors.js';

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

/** An error shaped like grpc-js's own, for a call a client ends itself (a streamed task or pick), so callers handle it as a unary call's. */
export const callError = (code: GrpcStatus, details: string): ServiceError => callErrorWith(code, details, new Metadata());
