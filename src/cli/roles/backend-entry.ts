// The entry `npm run build` bundles into build/backend-role.mjs: `node build/backend-role.mjs serve backend …` runs a
// supervised backend from one file. It starts in about 0.45 CPU-s instead of 0.6–0.7 from ~150 modules and holds
// about 5 MB less RSS (minified), which 64 backends starting at once on 2 cores feel (issue 16).
import { runLoadedRole } from '../role-runner.js';
import { backendRoleFlags, serveBackend } from './backend-role.js';

const [command, role] = process.argv.slice(2);
if (command !== 'serve' || role !== 'backend') {
  process.stderr.write(`backend-role bundle: expected "serve backend …", got "${process.argv.slice(2, 4).join(' ')}"\n`);
  process.exit(2);
}
await runLoadedRole('backend', { flags: backendRoleFlags, serve: serveBackend }, process.argv.slice(4));
