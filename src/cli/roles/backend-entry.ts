// The entry `npm run build` bundles into build/backend-role.cjs: `node build/run-bundle.cjs build/backend-role.cjs serve
// backend …` runs a supervised backend from one file with a V8 code cache. It starts in about 0.45 CPU-s instead of
// 0.6–0.7 from ~150 modules and holds about 5 MB less RSS (minified), which 64 backends starting at once on 2 cores
// feel (issue 16). No top-level await: a CommonJS bundle has none, and runLoadedRole ends the process on failure.
import { runLoadedRole } from '../role-runner.js';
import { backendRoleFlags, serveBackend } from './backend-role.js';

const [command, role] = process.argv.slice(2);
if (command !== 'serve' || role !== 'backend') {
  process.stderr.write(`backend-role bundle: expected "serve backend …", got "${process.argv.slice(2, 4).join(' ')}"\n`);
  process.exit(2);
}
void runLoadedRole('backend', { flags: backendRoleFlags, serve: serveBackend }, process.argv.slice(4));
