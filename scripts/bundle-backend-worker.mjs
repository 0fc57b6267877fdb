#!/usr/bin/env node
// Part of `npm run build`: bundles a dense cluster's backend worker (dist/cli/roles/backend-worker.js) into one file,
// build/backend-worker.mjs, and a supervised backend process's entry (dist/cli/roles/backend-entry.js) into
// build/backend-role.mjs, minified with names kept for stack traces. A worker thread loads its code afresh: 150 ES
// modules cost each of 256 workers about 320 ms of CPU here, one bundled file about 180 ms. A backend process from
// its bundle took 0.46-0.50 CPU-s to ready at 57 MB RSS, from its modules 0.60-0.72 CPU-s at 62.5 MB (unminified:
// 0.42-0.54 CPU-s, 61.8 MB). Without esbuild (an installed package) it does nothing, and both load their modules.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist/cli/roles/backend-worker.js');
const backendEntry = path.join(root, 'dist/cli/roles/backend-entry.js');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.exit(0);
}
if (!existsSync(entry) || !existsSync(backendEntry)) process.exit(0);
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // grpc-js and prom-client are CommonJS: their require() of Node's modules needs a require in an ES module.
  banner: { js: "import { createRequire as lbxCreateRequire } from 'node:module'; const require = lbxCreateRequire(import.meta.url);" },
  // oclif's parser can reach a lazy require of TypeScript (for ts-node paths) that a role never takes: left out.
  external: ['typescript'],
};
await build({ ...common, entryPoints: [entry], outfile: path.join(root, 'build/backend-worker.mjs') });
await build({ ...common, entryPoints: [backendEntry], outfile: path.join(root, 'build/backend-role.mjs'), minify: true, keepNames: true });
