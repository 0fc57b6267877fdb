// How to start another lbx process: this Node binary plus the CLI entry script (bin/lbx.js).
import { fileURLToPath } from 'node:url';

/**
 * V8 flags for long-running roles. Under load a backend's heap fills with promoted garbage that
 * the default heuristics collect late (95 MB RSS after 10,000 requests); optimising for size with
 * a 4 MB semi-space keeps it near 68 MB at the same throughput (measured 2026-11, `npm run bench`).
 */
const ROLE_NODE_FLAGS = ['--max-semi-space-size=4', '--optimize-for-size'];

/** argv prefix that runs the lbx CLI as a long-running role; the caller appends "serve <role> …". */
export function lbxCommandPrefix(): { file: string; args: string[] } {
  const entry = fileURLToPath(new URL('../../../bin/lbx.js', import.meta.url));
  return { file: process.execPath, args: [...ROLE_NODE_FLAGS, entry] };
}
