#!/usr/bin/env node
// Entry point of the lbx command line: every command and every cluster role runs through here.
const [command, role] = process.argv.slice(2);
// Roles spawned by a supervisor (marked by --cluster-dir) skip oclif's config loading, and do not even load oclif's
// index (about 50 ms of CPU per process, times every backend of a big cluster): see src/cli/role-entry.ts.
const runOclif = async () => {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
};
if (command === 'serve' && process.argv.includes('--cluster-dir') && !process.argv.includes('--help')) {
  const { isLeanRole, runRole } = await import('../dist/cli/role-entry.js');
  if (isLeanRole(role)) await runRole(role, process.argv.slice(4));
  else await runOclif();
} else {
  await runOclif();
}
