// A cluster's bearer token on calls: required on every call of its control API and on the calls that change the
// LB's state (the token itself, on disk, is ../cluster/cluster-token.ts).
//
// Every port is on loopback, but every local user can reach loopback; the token file's mode is
// what limits Shutdown, KillBackend, and the LB's RegisterServer, DeregisterServer, ReportLoad
// and SetPolicy to the user who started the cluster (and the processes it started).
import { timingSafeEqual } from 'node:crypto';

import { LbxError } from '../../core/lbx-error.js';

import {
  InterceptingCall,
  type Metadata,
  status as GrpcStatus,
  type Interceptor,
  type ServiceError,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

export const AUTHORIZATION_METADATA_KEY = 'authorization';
/** A token is 32 random bytes in hex. */
export const TOKEN_BYTES = 32;
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
const BEARER_PATTERN = /^Bearer (\S+)$/;

/** Whether the call's metadata carries `authorization: Bearer <token>`, compared in constant time. */
export function hasToken(metadata: Metadata, token: string): boolean {
  const values = metadata.get(AUTHORIZATION_METADATA_KEY);
  if (values.length !== 1 || typeof values[0] !== 'string') return false;
  const presented = BEARER_PATTERN.exec(values[0])?.[1];
  if (presented === undefined) return false;
  const expected = Buffer.from(token, 'utf8');
  const given = Buffer.from(presented, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function unauthenticated(file: string): Partial<ServiceError> {
  const details = `missing or wrong cluster token: send metadata "authorization: Bearer <token>" with the token from ${file} (readable only by the user who started the cluster)`;
  return { code: GrpcStatus.UNAUTHENTICATED, details, message: details };
}

/**
 * Wraps the handlers of a service implementation (all of them, or those named in `only`) so
 * that a call without the token is answered UNAUTHENTICATED and the handler never runs.
 * `file` is named in the answer.
 */
export function requireToken<T extends UntypedServiceImplementation>(implementation: T, token: string, file: string, only?: ReadonlyArray<keyof T & string>): T {
  if (!TOKEN_PATTERN.test(token)) throw new LbxError('runtime', `refusing to guard the control API with a malformed token (expected ${TOKEN_BYTES * 2} hex digits)`);
  const guarded: UntypedServiceImplementation = { ...implementation };
  for (const [name, handler] of Object.entries(implementation)) {
    if (only !== undefined && !only.includes(name)) continue;
    const run = handler as (call: { metadata: Metadata; emit(event: 'error', error: unknown): boolean }, callback?: (error: unknown) => void) => void;
    guarded[name] = ((call: Parameters<typeof run>[0], callback?: (error: unknown) => void) => {
      if (hasToken(call.metadata, token)) return run(call, callback);
      // Unary and client-streaming handlers answer through the callback; streaming ones by an 'error' event.
      if (typeof callback === 'function') callback(unauthenticated(file));
      else call.emit('error', unauthenticated(file));
    }) as UntypedHandleCall;
  }
  return guarded as T;
}

/**
 * A client interceptor adding the token to every call. Insecure channels cannot carry call
 * credentials in grpc-js, so this goes in the client's `interceptors` option instead.
 */
export function tokenInterceptor(token: string): Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        // Callers may share one Metadata object across calls (callUnary does): never add to theirs.
        const withToken = metadata.clone();
        withToken.set(AUTHORIZATION_METADATA_KEY, value);
        next(withToken, listener);
      },
    });
}
