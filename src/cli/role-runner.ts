// Runs one role in this process: its flags parsed by oclif's parser alone, a failure written to its log and exit 1.
// Shared by role-entry.ts (every role, loaded on demand) and the bundled backend entry (roles/backend-entry.ts).
import type { Interfaces } from '@oclif/core';
import { parse } from '@oclif/core/parser';

export interface Role {
  readonly flags: Interfaces.FlagInput;
  serve(flags: never, argv: readonly string[]): Promise<void>;
}

/**
 * Splits argv at the first "--": the role's own flags before it, a program's argv after it,
 * passed on verbatim (oclif's parser reorders values such as consul's "-dns-port -1").
 */
export function splitAtDoubleDash(argv: readonly string[]): { own: string[]; program: string[] } {
  const at = argv.indexOf('--');
  return at < 0 ? { own: [...argv], program: [] } : { own: argv.slice(0, at), program: argv.slice(at + 1) };
}

/**
 * A role's stdout and stderr are its log file. On a full disk a write fails with an 'error' event,
 * which unhandled would kill the role: a backend that cannot log must still serve (its log lines
 * are lost; `lbx report` says when its counts could not be kept either).
 */
function surviveLogWriteErrors(): void {
  for (const stream of [process.stdout, process.stderr]) {
    // @oclif/core, once imported, rethrows every stdout error but EPIPE: that handler goes too.
    stream.removeAllListeners('error');
    stream.on('error', () => undefined);
  }
}

export async function runLoadedRole(name: string, role: Role, argv: readonly string[]): Promise<void> {
  surviveLogWriteErrors();
  const { own, program } = splitAtDoubleDash(argv);
  try {
    const parsed = await parse(own, { flags: role.flags, args: {}, strict: true });
    await role.serve(parsed.flags as never, program);
  } catch (error) {
    // The supervisor reads this from the role's log when it reports the failure.
    process.stderr.write(`lbx serve ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
