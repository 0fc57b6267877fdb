// The lean start path for roles the supervisor spawns: each role's own flag definitions and oclif's parser,
// without oclif's config loading (about 7 MB of RSS and 100 ms of start-up per process).
import type { Interfaces } from '@oclif/core';
import { parse } from '@oclif/core/parser';

interface Role {
  readonly flags: Interfaces.FlagInput;
  serve(flags: never, argv: readonly string[]): Promise<void>;
}

const ROLES: Readonly<Record<string, () => Promise<Role>>> = {
  supervisor: async () => {
    const role = await import('./roles/supervisor-role.js');
    return { flags: role.supervisorRoleFlags, serve: role.serveSupervisor };
  },
  registry: async () => {
    const role = await import('./roles/registry-role.js');
    return { flags: role.registryRoleFlags, serve: role.serveRegistry };
  },
  lb: async () => {
    const role = await import('./roles/lb-role.js');
    return { flags: role.lbRoleFlags, serve: role.serveLb };
  },
  backend: async () => {
    const role = await import('./roles/backend-role.js');
    return { flags: role.backendRoleFlags, serve: role.serveBackend };
  },
  'backend-host': async () => {
    const role = await import('./roles/backend-host-role.js');
    return { flags: role.backendHostRoleFlags, serve: role.serveBackendHost };
  },
  guard: async () => {
    const role = await import('./roles/guard-role.js');
    return { flags: role.guardRoleFlags, serve: role.serveGuard };
  },
};

/**
 * Splits argv at the first "--": the role's own flags before it, a program's argv after it,
 * passed on verbatim (oclif's parser reorders values such as consul's "-dns-port -1").
 */
export function splitAtDoubleDash(argv: readonly string[]): { own: string[]; program: string[] } {
  const at = argv.indexOf('--');
  return at < 0 ? { own: [...argv], program: [] } : { own: argv.slice(0, at), program: argv.slice(at + 1) };
}

export const isLeanRole = (role: string | undefined): boolean => role !== undefined && role in ROLES;

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

export async function runRole(name: string, argv: string[]): Promise<void> {
  const load = ROLES[name];
  if (load === undefined) throw new Error(`unknown role "${name}": expected one of ${Object.keys(ROLES).join(', ')}`);
  const role = await load();
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
