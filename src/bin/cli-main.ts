// Entry of the bundled command line (build/lbx-cli.cjs, made by `npm run build`; bin/lbx.js runs it when it is fresh).
//
// From its ~200 ES modules a command spent about 0.45 s of its 0.5 s starting (Node's ES module loader, then oclif
// importing the command). One CommonJS bundle with a V8 code cache beside it loads in a fraction of that, and every
// `lbx status`, `send` or `report` a CI script runs pays it. Commands come from the same map as the single executable's
// (explicit-config.ts), so oclif finds them without scanning or importing dist/commands.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import commandNotFound from '../cli/hooks/command-not-found.js';
import { COMMANDS } from './commands.js';
import { executeExplicit, loadExplicitConfig, type EmbeddedPackage } from './explicit-config.js';

// In the bundle, import.meta.url is this module's compiled file (dist/bin/cli-main.js): see scripts/bundle.mjs.
const root = fileURLToPath(new URL('../../', import.meta.url));

async function main(): Promise<void> {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as EmbeddedPackage;
  const config = await loadExplicitConfig(pkg, COMMANDS, root, { command_not_found: commandNotFound });
  await executeExplicit(config, process.argv.slice(2));
}

void main();
