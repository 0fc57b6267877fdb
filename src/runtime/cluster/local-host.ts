// Checks that a --host is an address this machine can bind (os.networkInterfaces()), so a typo is a usage error, not "port in use".
import net from 'node:net';
import os from 'node:os';

import { LbxError } from '../../core/lbx-error.js';

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** Every address of this machine's interfaces, without IPv6 zone ids. */
export function localAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((entries) => entries ?? [])
    .map((entry) => entry.address.replace(/%.*$/, '').toLowerCase());
}

const isLoopback = (address: string): boolean => address === '::1' || (net.isIPv4(address) && address.startsWith('127.'));
const isLocal = (address: string, locals: readonly string[]): boolean =>
  WILDCARDS.has(address) || isLoopback(address) || locals.includes(address.replace(/%.*$/, '').toLowerCase());

/**
 * `host` as given to `flag`, without IPv6 brackets, when this machine can listen on it: a wildcard,
 * loopback, an interface's address, or a name that resolves to one. A usage error otherwise.
 */
export async function checkLocalHost(flag: string, host: string): Promise<string> {
  const bare = host.trim().replace(/^\[(.*)\]$/, '$1');
  if (bare === '') {
    throw new LbxError('usage', `${flag} is empty: expected an address of this machine to listen on, e.g. 127.0.0.1 (the default), ::1 or 0.0.0.0`);
  }
  const locals = localAddresses();
  let resolved = [bare];
  if (net.isIP(bare) === 0) {
    // Loaded for a name only: an address, what every supervised role is given, needs no resolver (and a backend saves its memory).
    const { lookup } = await import('node:dns/promises');
    try {
      resolved = (await lookup(bare, { all: true })).map((entry) => entry.address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw new LbxError('usage', `${flag} "${host}" is not an address of this machine: the name does not resolve (${code})`, [`use one of its addresses: ${locals.join(', ')}`]);
    }
  }
  if (!resolved.some((address) => isLocal(address, locals))) {
    throw new LbxError(
      'usage',
      `${flag} "${host}" is not an address of this machine${net.isIP(bare) === 0 ? ` (it resolves to ${resolved.join(', ')})` : ''}: nothing can listen on it here`,
      [`this machine's addresses: ${locals.join(', ')} (or 0.0.0.0 / :: for all of them)`],
    );
  }
  return bare;
}
