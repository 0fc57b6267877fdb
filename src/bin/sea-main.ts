// Entry of the single executable (npm run build:binary): the CLI and every cluster role, from one file.
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';

import commandNotFound from '../cli/hooks/command-not-found.js';
import { isLeanRole, runRole } from '../cli/role-entry.js';
import { ROLE_NODE_FLAGS } from '../runtime/process/lbx-entry.js';
import { COMMANDS } from './commands.js';
import { executeExplicit, loadExplicitConfig, type EmbeddedPackage } from './explicit-config.js';

/** package.json's name, version, description and oclif section, put in by esbuild's `define` at build time. */
declare const LBX_EMBEDDED_PACKAGE: EmbeddedPackage;

/**
 * V8 sizes the young generation once, when it sets the heap up, so --max-semi-space-size must be
 * there at start: a SEA reads NODE_OPTIONS (its command line is all the app's), and that is the one
 * of ROLE_NODE_FLAGS Node accepts there. Every lbx process the binary spawns inherits it.
 */
const NODE_OPTIONS_FLAGS = ROLE_NODE_FLAGS.filter((flag) => flag.startsWith('--max-semi-space-size='));
/** The others V8 reads as it goes (heap growth, the memory reducer's delay), so setting them at start is enough. */
const RUNTIME_FLAGS = ROLE_NODE_FLAGS.filter((flag) => !NODE_OPTIONS_FLAGS.includes(flag));

function passNodeOptionsToChildren(): void {
  const options = process.env['NODE_OPTIONS'] ?? '';
  const missing = NODE_OPTIONS_FLAGS.filter((flag) => !options.split(/\s+/).includes(flag));
  if (missing.length > 0) process.env['NODE_OPTIONS'] = [options, ...missing].filter((part) => part !== '').join(' ');
}

// No top-level await: a SEA's main script is CommonJS.
async function main(): Promise<void> {
  passNodeOptionsToChildren();
  const argv = process.argv.slice(2);
  const [command, role] = argv;
  // Roles spawned by a supervisor (marked by --cluster-dir) skip oclif's config loading, as in bin/lbx.js.
  if (command === 'serve' && argv.includes('--cluster-dir') && !argv.includes('--help') && isLeanRole(role)) {
    for (const flag of RUNTIME_FLAGS) setFlagsFromString(flag);
    await runRole(role as string, argv.slice(2));
    return;
  }
  const config = await loadExplicitConfig(LBX_EMBEDDED_PACKAGE, COMMANDS, path.dirname(process.execPath), { command_not_found: commandNotFound });
  await executeExplicit(config, argv);
}

void main();
