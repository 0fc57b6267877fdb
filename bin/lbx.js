#!/usr/bin/env node
// Entry point of the lbx command line: every command and every cluster role runs through here.
import { execute } from '@oclif/core';

const [command, role] = process.argv.slice(2);
// Roles spawned by a supervisor (marked by --cluster-dir) skip oclif's config loading: see src/cli/role-entry.ts.
if (command === 'serve' && process.argv.includes('--cluster-dir') && !process.argv.includes('--help')) {
  const { isLeanRole, runRole } = await import('../dist/cli/role-entry.js');
  if (isLeanRole(role)) await runRole(role, process.argv.slice(4));
  else await execute({ dir: import.meta.url });
} else {
  await execute({ dir: import.meta.url });
}
