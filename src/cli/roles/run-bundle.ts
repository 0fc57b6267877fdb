// Process and worker entry for a bundled role: `node <flags> run-bundle.js <bundle.cjs> serve backend …` (or a worker
// thread started with the bundle as its argv). The bundle then sees the argv it would have seen run directly.
import { runCodeCachedBundle } from '../../runtime/process/code-cached-bundle.js';

const bundlePath = process.argv[2];
if (bundlePath === undefined || !bundlePath.endsWith('.cjs')) {
  process.stderr.write(`run-bundle: expected the path of a .cjs bundle, got "${bundlePath ?? ''}"\n`);
  process.exit(2);
}
process.argv.splice(1, 2, bundlePath);
runCodeCachedBundle(bundlePath);
