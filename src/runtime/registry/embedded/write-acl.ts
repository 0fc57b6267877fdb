// Who may change the embedded registry: Consul's ACL model cut down to one token, the cluster's.
//
// Every port is on loopback, and every local user can reach loopback: without this, any process
// could register an `lbx-backend` and get picks sent to it. Reads stay anonymous (a Consul with
// default_policy "deny" would ask a token for them too, but clients find the LB by reading, and
// nothing read here is secret); every write (register, deregister, check updates) needs the
// token, presented as Consul's clients present theirs.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { HttpError } from './http-error.js';

export interface WriteAcl {
  /** The token writes must present; undefined leaves writes open (a registry started by hand). */
  readonly token: string | undefined;
  /** Where a client finds the token, named in a refusal ("the file /…/control.token"). */
  readonly tokenSource: string;
}

/** The token a request presents: X-Consul-Token, `Authorization: Bearer`, or `?token=` (in Consul's order). */
export function presentedToken(headers: IncomingHttpHeaders, query: URLSearchParams): string | undefined {
  const header = headers['x-consul-token'];
  if (typeof header === 'string' && header !== '') return header;
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return bearer;
  const param = query.get('token');
  return param === null || param === '' ? undefined : param;
}

/** Throws Consul's 403 unless the request may write: the ACL is open, or it presents the token. */
export function requireWriteToken(acl: WriteAcl, presented: string | undefined, what: string): void {
  if (acl.token === undefined) return;
  if (presented !== undefined && isSameToken(presented, acl.token)) return;
  const who = presented === undefined ? 'anonymous token' : 'the token given';
  throw new HttpError(
    403,
    `Permission denied: ${who} lacks permission to ${what}: writes to the lbx embedded registry need the cluster token ` +
      `(X-Consul-Token header, or ?token=), from ${acl.tokenSource}`,
  );
}

function isSameToken(presented: string, expected: string): boolean {
  const given = Buffer.from(presented, 'utf8');
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
