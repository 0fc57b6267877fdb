// A cluster's bearer token: made by the supervisor at start-up, kept in a 0600 file, required on
// every call of its control API and on the calls that change the LB's state.
//
// Every port is on loopback, but every local user can reach loopback; the token file's mode is
// what limits Shutdown, KillBackend, and the LB's RegisterServer, DeregisterServer, ReportLoad
// and SetPolicy to the user who started the cluster (and the processes it started).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, promises as fs } from 'node:fs';
import path from 'node:path';

import {
  InterceptingCall,
  type Metadata,
  status as GrpcStatus,
  type Interceptor,
  type ServiceError,
  type UntypedHandleCall,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

import { LbxError } from '../../core/lbx-error.js';
import type { ClusterPaths } from '../cluster/cluster-paths.js';

export const TOKEN_FILE_NAME = 'control.token';
export const AUTHORIZATION_METADATA_KEY = 'authorization';
const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[0-9a-f]{64}$/;
const BEARER_PATTERN = /^Bearer (\S+)$/;
const TOKEN_FILE_MODE = 0o600;

type TokenPaths = Pick<ClusterPaths, 'name' | 'dir'>;

/** Where a cluster's control token lives: inside its directory, next to cluster.json. */
export const tokenFile = (paths: Pick<ClusterPaths, 'dir'>): string => path.join(paths.dir, TOKEN_FILE_NAME);

/**
 * Makes a fresh token and writes it, mode 0600, to the cluster's token file; returns the token.
 * Written to a temporary file created 0600 and renamed into place, so a reader never sees a
 * partial token and a leftover file from an earlier run is replaced rather than trusted.
 */
export async function createControlToken(paths: Pick<ClusterPaths, 'dir'>): Promise<string> {
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  const file = tokenFile(paths);
  const temporary = `${file}.${process.pid}.tmp`;
  await fs.rm(temporary, { force: true });
  const handle = await fs.open(temporary, 'wx', TOKEN_FILE_MODE);
  try {
    // The umask can only narrow the mode given to open; chmod makes it exactly 0600 either way.
    await handle.chmod(TOKEN_FILE_MODE);
    await handle.writeFile(`${token}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temporary, file);
  return token;
}

/** Reads a cluster's control token (synchronously: it is one small file, read once per client). */
export function readControlToken(paths: TokenPaths): string {
  const file = tokenFile(paths);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EACCES' || code === 'EPERM') {
      throw new LbxError('runtime', `cannot read the control token ${file} of cluster "${paths.name}" (${code}): is the cluster owned by another user?`);
    }
    if (code === 'ENOENT') {
      throw new LbxError('runtime', `cluster "${paths.name}" has no control token at ${file}: it was started by an older lbx or its directory was altered`, [
        'stop its supervisor by pid (see cluster.json), then start it again with: lbx up',
      ]);
    }
    throw new LbxError('runtime', `cannot read the control token ${file} of cluster "${paths.name}": ${(error as Error).message}`);
  }
  const token = text.trim();
  if (!TOKEN_PATTERN.test(token)) {
    throw new LbxError('runtime', `control token ${file} of cluster "${paths.name}" is malformed: expected ${TOKEN_BYTES * 2} hex digits`);
  }
  return token;
}

/** Reads a token file given by path (a role's --token-file); errors name the file. */
export function readTokenFile(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new LbxError('usage', `cannot read the token file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (!TOKEN_PATTERN.test(token)) throw new LbxError('usage', `token file ${file} is malformed: expected ${TOKEN_BYTES * 2} hex digits`);
  return token;
}

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
