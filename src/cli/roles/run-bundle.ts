// Process and worker entry for a bundled role: `node <flags> build/run-bundle.cjs <bundle.cjs> serve backend …` (or a
// worker thread started with the bundle as its argv). The bundle then sees the argv it would have seen run directly.
// `npm run build` bundles this file too, as CommonJS: so no backend pays for Node's ES module loader.
import path from 'node:path';

import { runCodeCachedBundle } from '../../runtime/process/code-cached-bundle.js';

const given = process.argv[2];
if (given === undefined || !given.endsWith('.cjs')) {
  process.stderr.write(`run-bundle: expected the path of a .cjs bundle, got "${given ?? ''}"\n`);
  process.exit(2);
}
// A CommonJS module's require is made from its absolute path.
const bundlePath = path.resolve(given);
process.argv.splice(1, 2, bundlePath);
runCodeCachedBundle(bundlePath);
