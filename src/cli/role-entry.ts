// The lean start path for roles the supervisor spawns: each role's own flag definitions and oclif's parser,
// without oclif's config loading (about 7 MB of RSS and 100 ms of start-up per process).
import { type Role, runLoadedRole } from './role-runner.js';

export { splitAtDoubleDash } from './role-runner.js';

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

export const isLeanRole = (role: string | undefined): boolean => role !== undefined && role in ROLES;

export async function runRole(name: string, argv: string[]): Promise<void> {
  const load = ROLES[name];
  if (load === undefined) throw new Error(`unknown role "${name}": expected one of ${Object.keys(ROLES).join(', ')}`);
  await runLoadedRole(name, await load(), argv);
}
