#!/usr/bin/env node
// Part of `npm run build`: bundles a dense cluster's backend worker (dist/cli/roles/backend-worker.js) into one file,
// build/backend-worker.cjs, and a supervised backend process's entry (dist/cli/roles/backend-entry.js) into
// build/backend-role.cjs, minified with names kept for stack traces. Both run through the bundle runner
// (dist/cli/roles/run-bundle.js, itself bundled as build/run-bundle.cjs), which keeps a V8 code cache beside each
// bundle (runtime/process/code-cached-bundle.ts): CommonJS, because Node 20 has a code cache only for classic
// scripts. A worker thread loads its code afresh: 150 ES modules cost each of 256 workers about 320 ms of CPU here,
// one bundled ES module about 180 ms. A backend process from its ES module bundle took 0.46-0.50 CPU-s to ready at
// 57 MB RSS, from its modules 0.60-0.72 CPU-s at 62.5 MB; loading the bundle (node's own start included) takes 0.21
// CPU-s as an ES module, 0.15 as CommonJS from its code cache. Without esbuild (an installed package) it does
// nothing, and both load their modules.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.join(root, 'dist/cli/roles/backend-worker.js');
const backendEntry = path.join(root, 'dist/cli/roles/backend-entry.js');
const runBundleEntry = path.join(root, 'dist/cli/roles/run-bundle.js');

let build;
try {
  ({ build } = await import('esbuild'));
} catch {
  process.exit(0);
}
if (![entry, backendEntry, runBundleEntry].every((file) => existsSync(file))) process.exit(0);
const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  logLevel: 'warning',
  // The ES modules inside find their files from import.meta.url: in a CommonJS bundle, the bundle's own URL.
  define: { 'import.meta.url': 'lbxBundleUrl' },
  banner: { js: "const lbxBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // oclif's parser can reach a lazy require of TypeScript (for ts-node paths) that a role never takes: left out.
  external: ['typescript'],
};
await build({ ...common, entryPoints: [entry], outfile: path.join(root, 'build/backend-worker.cjs'), minify: true, keepNames: true });
await build({ ...common, entryPoints: [backendEntry], outfile: path.join(root, 'build/backend-role.cjs'), minify: true, keepNames: true });
// The runner as CommonJS too: started as an ES module it costs each backend Node's ES module loader, 0.20 against
// 0.15 CPU-s to load the backend (a process or a worker thread never needs that loader otherwise).
await build({ ...common, entryPoints: [runBundleEntry], outfile: path.join(root, 'build/run-bundle.cjs') });
