// npm run build:binary: bundles lbx into one CommonJS file and injects it into a copy of this Node binary (build/lbx).
import { execFileSync, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outDir = path.join(root, 'build');
const bundleFile = path.join(outDir, 'lbx.cjs');
const blobFile = path.join(outDir, 'lbx.blob');
const binaryFile = path.join(outDir, 'lbx');
/** The fuse postject flips so Node looks for the injected blob (Node's SEA documentation). */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

const startedAt = performance.now();
const mb = (bytes: number): string => `${(bytes / 1_048_576).toFixed(1)} MB`;
async function report(stage: string, file: string): Promise<void> {
  const { size } = await fs.stat(file);
  console.log(`${stage.padEnd(28)} ${mb(size).padStart(9)}  ${path.relative(root, file)}`);
}
/** Runs a build step; its output is shown only when it fails (postject warns about every note section of a stripped binary). */
const run = (file: string, args: string[]): void => {
  try {
    execFileSync(file, args, { cwd: root, stdio: 'pipe' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: Buffer; stderr?: Buffer };
    process.stderr.write(`${stdout?.toString() ?? ''}${stderr?.toString() ?? ''}`);
    throw error;
  }
};

const pkg = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string; description: string; oclif: unknown };
await fs.mkdir(outDir, { recursive: true });

// 1. One CommonJS file: a SEA's main script cannot be ESM on Node 20, and its require() loads only built-ins.
await build({
  entryPoints: [path.join(root, 'src/bin/sea-main.ts')],
  outfile: bundleFile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: false,
  // oclif loads typescript only to run .ts commands in development; bundled it makes the file ten times larger.
  // @grpc/grpc-js-xds reads its protos from its package directory at run time: it cannot run from the binary, so send --client xds says so there.
  external: ['typescript', '@grpc/grpc-js-xds'],
  define: { LBX_EMBEDDED_PACKAGE: JSON.stringify({ name: pkg.name, version: pkg.version, description: pkg.description, oclif: pkg.oclif }) },
  // oclif warns on every run that the node version is not in package.json "engines", which the SEA does not have.
  banner: { js: "process.env.OCLIF_DISABLE_ENGINE_WARNING = '1';" },
  logLevel: 'warning',
  // lbx-entry.ts reads import.meta.url only outside a SEA.
  logOverride: { 'empty-import-meta': 'silent' },
});
await report('bundle', bundleFile);

// 2. The SEA blob (sea-config.json names the bundle and the blob).
run(process.execPath, ['--experimental-sea-config', path.join(root, 'sea-config.json')]);
await report('sea blob', blobFile);

// 3. A copy of this Node binary, stripped of its symbols when strip is there (before injection, so the blob is untouched).
// The copy is the product: a node that needs a shared libnode (Debian's nodejs package) would not run alone elsewhere.
const linked = spawnSync('ldd', [process.execPath], { encoding: 'utf8' });
if (linked.status === 0 && /libnode\.so/.test(linked.stdout)) {
  throw new Error(`${process.execPath} links a shared libnode: build with an official Node ${process.version} binary, which is one self-contained file`);
}
if (Number(process.versions.node.split('.')[0]) !== 20) {
  throw new Error(`building with Node ${process.version}: the bundle targets node20 and the binary is a copy of this node; use Node 20`);
}
await fs.rm(binaryFile, { force: true });
await fs.copyFile(process.execPath, binaryFile);
await fs.chmod(binaryFile, 0o755);
await report('node copy', binaryFile);
let strip: string | undefined;
try {
  strip = execFileSync('sh', ['-c', 'command -v strip'], { encoding: 'utf8' }).trim() || undefined;
} catch {
  strip = undefined;
}
if (strip !== undefined) {
  run(strip, [binaryFile]);
  await report('node copy, stripped', binaryFile);
} else {
  console.log('strip not found: the binary keeps its symbols');
}

// 4. Inject the blob.
run(process.execPath, [path.join(root, 'node_modules/postject/dist/cli.js'), binaryFile, 'NODE_SEA_BLOB', blobFile, '--sentinel-fuse', SEA_FUSE]);
await report('lbx (blob injected)', binaryFile);
const gzipped = gzipSync(await fs.readFile(binaryFile), { level: 6 }).length;
console.log(`${'lbx, gzipped (not written)'.padEnd(28)} ${mb(gzipped).padStart(9)}`);
console.log(`built ${path.relative(root, binaryFile)} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
