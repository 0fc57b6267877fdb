// The lean start path for roles the supervisor spawns: each role command's own flags and oclif's parser,
// without oclif's config loading (about 7 MB of RSS and 100 ms of start-up per process).
import { parse } from '@oclif/core/parser';
import type { Interfaces } from '@oclif/core';

interface RoleCommand {
  readonly flags: Interfaces.FlagInput;
  readonly args?: Interfaces.ArgInput;
  readonly strict?: boolean;
  serve(flags: unknown, argv: readonly string[]): Promise<void>;
}

const ROLES: Readonly<Record<string, () => Promise<{ default: unknown }>>> = {
  supervisor: () => import('../commands/serve/supervisor.js'),
  registry: () => import('../commands/serve/registry.js'),
  lb: () => import('../commands/serve/lb.js'),
  backend: () => import('../commands/serve/backend.js'),
  guard: () => import('../commands/serve/guard.js'),
};

export const isLeanRole = (role: string | undefined): boolean => role !== undefined && role in ROLES;

export async function runRole(role: string, argv: string[]): Promise<void> {
  const load = ROLES[role];
  if (load === undefined) throw new Error(`unknown role "${role}": expected one of ${Object.keys(ROLES).join(', ')}`);
  const command = (await load()).default as RoleCommand;
  try {
    const parsed = await parse(argv, { flags: command.flags, args: command.args ?? {}, strict: command.strict ?? true });
    await command.serve(parsed.flags, parsed.argv as string[]);
  } catch (error) {
    // The supervisor reads this from the role's log when it reports the failure.
    process.stderr.write(`lbx serve ${role}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
