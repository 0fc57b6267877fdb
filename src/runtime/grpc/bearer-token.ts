// A cluster's bearer token on calls: required on every call of its control API and on the calls that change the
// LB's state (the token itself, on disk, is ../cluster/cluster-token.ts; clients add it with ./token-interceptor.ts).
//
// Every port is on loopback, but every local user can reach loopback; the token file's mode is
// what limits Shutdown, KillBackend, and the LB's RegisterServer, DeregisterServer, ReportLoad
// and SetPolicy to the user who started the cluster (and the processes it started).
import { LbxError } from '../../core/lbx-error.js';

import type { Metadata, ServiceError, UntypedHandleCall, UntypedServiceImplementation } from '@grpc/grpc-js';

import { Status as GrpcStatus } from './status.js';

export const AUTHORIZATION_METADATA_KEY = 'authorization';
/** A token is 32 random bytes in hex. */
export const TOKEN_BYTES = 32;
export const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
const BEARER_PATTERN = /^Bearer (\S+)$/;

/** The authorization header's value that carries `token`. */
export const bearerValue = (token: string): string => `Bearer ${token}`;

/** Whether the call's metadata carries `authorization: Bearer <token>`, compared in constant time. */
export function hasToken(metadata: Pick<Metadata, 'get'>, token: string): boolean {
  const values = metadata.get(AUTHORIZATION_METADATA_KEY);
  if (values.length !== 1 || typeof values[0] !== 'string') return false;
  const presented = BEARER_PATTERN.exec(values[0])?.[1];
  if (presented === undefined) return false;
  return isEqualInConstantTime(Buffer.from(presented, 'utf8'), Buffer.from(token, 'utf8'));
}

/**
 * Whether two byte strings are equal, in time that depends on their length only (as crypto.timingSafeEqual, which
 * would load node:crypto into every backend for this one comparison).
 */
function isEqualInConstantTime(given: Buffer, expected: Buffer): boolean {
  if (given.length !== expected.length) return false;
  let difference = 0;
  for (let i = 0; i < given.length; i++) difference |= (given[i] as number) ^ (expected[i] as number);
  return difference === 0;
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
