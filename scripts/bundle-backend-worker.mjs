#!/usr/bin/env node
// Part of `npm run build`: bundles a dense cluster's backend worker (dist/cli/roles/backend-worker.js) into one file,
// build/backend-worker.mjs. A worker thread loads its code afresh: 150 ES modules cost each of 256 workers about
// 320 ms of CPU here, one bundled file about 180 ms. Without esbuild (an installed package) it does nothing, and
// backend hosts load the unbundled worker.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist/cli/roles/backend-worker.js');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.exit(0);
}
if (!existsSync(entry)) process.exit(0);
await build({
  entryPoints: [entry],
  outfile: path.join(root, 'build/backend-worker.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // grpc-js and prom-client are CommonJS: their require() of Node's modules needs a require in an ES module.
  banner: { js: "import { createRequire as lbxCreateRequire } from 'node:module'; const require = lbxCreateRequire(import.meta.url);" },
});
