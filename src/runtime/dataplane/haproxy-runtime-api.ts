// HAProxy's runtime API over its stats socket: one connection per batch, commands joined by ";" (non-interactive mode).
import net from 'node:net';

import { LbxError } from '../../core/lbx-error.js';

const DEFAULT_TIMEOUT_MS = 2_000;
/** Lines HAProxy answers with when a command failed; an empty answer means done. */
const FAILURE = /^(Unknown command|No such (backend|server)|Require '|.*: Permission denied|Invalid)/m;

/** Sends `commands` (at most a few dozen) and returns HAProxy's answer; a refused command is an error naming it. */
export function haproxyCommand(socketPath: string, commands: readonly string[], timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let answer = '';
    const timer = setTimeout(() => socket.destroy(new LbxError('runtime', `HAProxy's runtime API at ${socketPath} did not answer in ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.end(`${commands.join(';')}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (FAILURE.test(answer)) reject(new LbxError('runtime', `HAProxy refused "${commands.join(';')}": ${answer.trim()}`));
      else resolve(answer);
    });
  });
}
