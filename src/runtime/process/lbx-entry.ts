// How to start another lbx process: this Node binary plus the CLI entry script (bin/lbx.js).
import { fileURLToPath } from 'node:url';

/** argv prefix that runs the lbx CLI; the supervisor appends a role ("serve", "backend", …). */
export function lbxCommandPrefix(): { file: string; args: string[] } {
  const entry = fileURLToPath(new URL('../../../bin/lbx.js', import.meta.url));
  return { file: process.execPath, args: [entry] };
}
