#!/usr/bin/env node
// Entry point of the lbx command line: every command and every cluster role runs through here.
const [command, role] = process.argv.slice(2);
// Roles spawned by a supervisor (marked by --cluster-dir) skip oclif's config loading, and do not even load oclif's
// index (about 50 ms of CPU per process, times every backend of a big cluster): see src/cli/role-entry.ts.
const runOclif = async () => {
  const { execute } = await import('@oclif/core');
  await execute({ dir: import.meta.url });
};
/**
 * Commands run from build/lbx-cli.cjs when `npm run build` made it and it is not older than the build (see
 * src/bin/cli-main.ts: about half the CPU to start); LBX_CLI_BUNDLE=0 runs them from their modules.
 */
const runCommand = async () => {
  if (process.env.LBX_CLI_BUNDLE !== '0') {
    const { bundleUrl, freshBundleOr } = await import('../dist/runtime/process/role-bundle.js');
    const bundle = bundleUrl('lbx-cli.cjs');
    if (freshBundleOr(bundle, new URL('../dist/bin/cli-main.js', import.meta.url)) === bundle) {
      const { runCodeCachedBundle } = await import('../dist/runtime/process/code-cached-bundle.js');
      const { fileURLToPath } = await import('node:url');
      runCodeCachedBundle(fileURLToPath(bundle), 'exit');
      return;
    }
  }
  await runOclif();
};
if (command === 'serve' && process.argv.includes('--cluster-dir') && !process.argv.includes('--help')) {
  const { isLeanRole, runRole } = await import('../dist/cli/role-entry.js');
  if (isLeanRole(role)) await runRole(role, process.argv.slice(4));
  else await runCommand();
} else {
  await runCommand();
}
