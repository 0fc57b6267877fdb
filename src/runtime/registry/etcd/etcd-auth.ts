// etcd authentication for the JSON gateway: credentials from etcdctl's own variables, a token from /v3/auth/authenticate.
//
// An etcd with auth enabled (etcdctl auth enable) refuses every request without a valid token.
// lbx reads the user as etcdctl does — ETCDCTL_USER="name:password", or ETCDCTL_USER="name"
// with ETCDCTL_PASSWORD — asks the gateway for a token, sends it as the Authorization header,
// and asks again when etcd says the token is no longer valid (simple tokens expire, and a
// restarted etcd forgets them).
import { LbxError } from '../../../core/lbx-error.js';

export interface EtcdCredentials {
  readonly user: string;
  readonly password: string;
}

/** The credentials in ETCDCTL_USER / ETCDCTL_PASSWORD; undefined when ETCDCTL_USER is not set. */
export function etcdCredentialsFromEnv(env: NodeJS.ProcessEnv = process.env): EtcdCredentials | undefined {
  const raw = env['ETCDCTL_USER'];
  if (raw === undefined || raw === '') return undefined;
  const separator = raw.indexOf(':');
  const user = separator === -1 ? raw : raw.slice(0, separator);
  const password = separator === -1 ? (env['ETCDCTL_PASSWORD'] ?? '') : raw.slice(separator + 1);
  if (user === '') throw new LbxError('usage', 'ETCDCTL_USER has no user name: expected "name:password", or "name" with ETCDCTL_PASSWORD');
  return { user, password };
}

/** Whether a failed gateway reply says the token is missing, expired or unknown (ask for a new one and try again). */
export function isTokenRejected(status: number, body: unknown): boolean {
  const message = typeof body === 'object' && body !== null ? String((body as Record<string, unknown>)['message'] ?? (body as Record<string, unknown>)['error'] ?? '') : '';
  return status === 401 || /invalid auth token|token is expired|user name is empty/i.test(message);
}

/** What the gateway answers on /v3/auth/authenticate: the token, or why not. */
export function readAuthenticateReply(body: unknown): string {
  const token = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['token'] : undefined;
  if (typeof token !== 'string' || token === '') throw new Error('authenticate reply without a token');
  return token;
}
