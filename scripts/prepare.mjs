#!/usr/bin/env node
// npm's `prepare` (npm ci / npm install in a checkout, npm pack, npm publish): builds dist/ with tsc, but only in a source checkout with tsc installed, and only when dist/ is missing or stale.
//
// A source checkout (git clone or a downloaded archive) has src/; an installed package has only dist/ and
// no devDependencies, so it must not build (npm does not run an installed package's prepare, but a tool
// or a future npm might); `npm pack`
// right after a build must not build again; and a dist/ holding a .js whose source was deleted is stale,
// since it would be packed: then dist/ is removed and built afresh.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const srcDir = path.join(root, 'src');
const distDir = path.join(root, 'dist');
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
/** Changing these changes the output too. */
const BUILD_INPUTS = ['tsconfig.json', 'package.json'].map((name) => path.join(root, name));

/** Every file under `dir`, relative to it ([] when it does not exist). */
function filesUnder(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath ?? entry.path, entry.name)));
}

/** Why dist/ must be built, or undefined when every source has an up-to-date output and every output a source. */
function whyStale() {
  const sources = filesUnder(srcDir).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));
  const outputs = new Set(filesUnder(distDir).filter((file) => file.endsWith('.js')));
  if (outputs.size === 0) return 'dist/ is missing';
  const newestInput = Math.max(...BUILD_INPUTS.filter(existsSync).map((file) => statSync(file).mtimeMs));
  for (const source of sources) {
    const output = source.replace(/\.ts$/, '.js');
    if (!outputs.delete(output)) return `dist/${output} is missing`;
    const builtAt = statSync(path.join(distDir, output)).mtimeMs;
    if (builtAt < statSync(path.join(srcDir, source)).mtimeMs) return `src/${source} is newer than its build`;
    if (builtAt < newestInput) return 'tsconfig.json or package.json is newer than the build';
  }
  const orphan = [...outputs][0];
  return orphan === undefined ? undefined : `dist/${orphan} has no source any more`;
}

if (!existsSync(srcDir)) process.exit(0); // an installed package: dist/ came with it, src/ did not
if (!existsSync(tsc)) {
  console.error('prepare: typescript is not installed (devDependencies), so dist/ is not built');
  process.exit(0);
}
const reason = whyStale();
if (reason === undefined) {
  console.error('prepare: dist/ is up to date');
  process.exit(0);
}
console.error(`prepare: building dist/ (${reason})`);
rmSync(distDir, { recursive: true, force: true });
const build = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { cwd: root, stdio: 'inherit' });
process.exit(build.status ?? 1);
