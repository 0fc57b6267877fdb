// The npm package: what `npm pack` puts in it (dist without source maps, no sources or tests), prepare building only a stale checkout, and an install with no devDependencies running lbx.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { withTimeout } from '../helpers/with-timeout.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PREPARE = path.join(root, 'scripts/prepare.mjs');
const NPM_TIMEOUT_MS = 120_000;
const scratch = mkdtempSync(path.join(os.tmpdir(), 'lbx-package-'));

const npm = (args: readonly string[], cwd: string) =>
  spawnSync('npm', [...args], { cwd, encoding: 'utf8', timeout: NPM_TIMEOUT_MS, env: { ...process.env, npm_config_update_notifier: 'false' } });

const test = suite('npm package');

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test('npm pack: bin, dist, protos and the prepare script; no source maps, sources or tests', () => {
  // --ignore-scripts: the suite's build already ran; this test must not rebuild the dist/ other suites use.
  const result = npm(['pack', '--dry-run', '--json', '--ignore-scripts'], root);
  assert.is(result.status, 0, result.stderr);
  const files = (JSON.parse(result.stdout) as [{ files: { path: string }[] }])[0].files.map((file) => file.path);
  for (const needed of ['bin/lbx.js', 'dist/commands/up.js', 'dist/cli/html/svg-charts.js', 'protos/lbx/v1/load_balancer.proto', 'scripts/prepare.mjs', 'package.json']) {
    assert.ok(files.includes(needed), `${needed} is in the package`);
  }
  assert.equal(
    files.filter((file) => file.endsWith('.map')),
    [],
    'no source map (the sources are not shipped)',
  );
  assert.equal(
    files.filter((file) => /^(src|test|fixtures|\.ci)\//.test(file) || file.endsWith('.ts')),
    [],
    'no sources, tests or CI files',
  );
});

/** A checkout in miniature: src/a.ts (unless it is an installed package), and a stub tsc that records each build and writes dist/a.js. */
function miniCheckout(options: { src: boolean; tsc: boolean }): { dir: string; builds: () => number } {
  const dir = mkdtempSync(path.join(scratch, 'checkout-'));
  mkdirSync(path.join(dir, 'scripts'));
  writeFileSync(path.join(dir, 'scripts/prepare.mjs'), readFileSync(PREPARE, 'utf8'));
  if (options.src) {
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/a.ts'), 'export const a = 1;\n');
  }
  writeFileSync(path.join(dir, 'tsconfig.json'), '{}\n');
  writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
  if (options.tsc) {
    const tscDir = path.join(dir, 'node_modules/typescript/bin');
    mkdirSync(tscDir, { recursive: true });
    writeFileSync(
      path.join(tscDir, 'tsc'),
      "const fs = require('node:fs');\nfs.mkdirSync('dist', { recursive: true });\nfs.writeFileSync('dist/a.js', 'export const a = 1;\\n');\nfs.appendFileSync('builds.log', 'build\\n');\n",
    );
    chmodSync(path.join(tscDir, 'tsc'), 0o755);
    // The stub is CommonJS inside a "type": "module" project.
    writeFileSync(path.join(dir, 'node_modules/typescript/package.json'), '{"type":"commonjs"}\n');
  }
  const builds = (): number =>
    existsSync(path.join(dir, 'builds.log'))
      ? spawnSync('wc', ['-l', path.join(dir, 'builds.log')], { encoding: 'utf8' })
          .stdout.trim()
          .split(' ')
          .map(Number)[0]!
      : 0;
  return { dir, builds };
}

const prepare = (dir: string) => spawnSync(process.execPath, [path.join(dir, 'scripts/prepare.mjs')], { cwd: dir, encoding: 'utf8', timeout: 30_000 });

test('prepare builds only a source checkout with tsc, and only when dist/ is missing or stale', () => {
  const installed = miniCheckout({ src: false, tsc: true });
  assert.is(prepare(installed.dir).status, 0);
  assert.is(installed.builds(), 0, 'an installed package (no src/) is not built');

  const noTsc = miniCheckout({ src: true, tsc: false });
  const withoutTsc = prepare(noTsc.dir);
  assert.is(withoutTsc.status, 0);
  assert.match(withoutTsc.stderr, 'typescript is not installed');

  const checkout = miniCheckout({ src: true, tsc: true });
  assert.match(prepare(checkout.dir).stderr, 'building dist/ (dist/ is missing)');
  assert.is(checkout.builds(), 1);
  assert.match(prepare(checkout.dir).stderr, 'dist/ is up to date');
  assert.is(checkout.builds(), 1, 'npm pack right after a build does not build again');

  // An edit after the build: the build is made older than the source.
  const past = new Date(Date.now() - 60_000);
  utimesSync(path.join(checkout.dir, 'dist/a.js'), past, past);
  assert.match(prepare(checkout.dir).stderr, 'src/a.ts is newer than its build');
  assert.is(checkout.builds(), 2);

  writeFileSync(path.join(checkout.dir, 'dist/gone.js'), '');
  assert.match(prepare(checkout.dir).stderr, 'dist/gone.js has no source any more');
  assert.is(checkout.builds(), 3);
  assert.not.ok(existsSync(path.join(checkout.dir, 'dist/gone.js')), 'a stale dist/ is removed before the build');
});

test('the packed tarball installs without devDependencies, and lbx --help runs from it', async () => {
  await withTimeout(
    (async () => {
      const packed = npm(['pack', '--ignore-scripts', '--pack-destination', scratch], root);
      assert.is(packed.status, 0, packed.stderr);
      const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
      assert.ok(tarball, `a tarball in ${scratch}`);
      const project = path.join(scratch, 'project');
      mkdirSync(project);
      writeFileSync(path.join(project, 'package.json'), '{"name":"lbx-install-check","version":"1.0.0","private":true}\n');
      const installed = npm(['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(scratch, tarball!)], project);
      if (installed.status !== 0 && /ENOTFOUND|EAI_AGAIN|ENETUNREACH|ECONNREFUSED|ENOTCACHED/.test(installed.stderr)) {
        console.log(`package: skipped — installing the tarball needs the npm registry or a warm npm cache (${installed.stderr.trim().split('\n').at(-1)})`);
        return;
      }
      assert.is(installed.status, 0, installed.stderr);
      for (const dev of ['typescript', 'tsx', 'uvu', 'esbuild', 'ts-proto'])
        assert.not.ok(existsSync(path.join(project, 'node_modules', dev)), `devDependency ${dev} was not installed`);
      const help = spawnSync(path.join(project, 'node_modules/.bin/lbx'), ['--help'], { cwd: project, encoding: 'utf8', timeout: 30_000 });
      assert.is(help.status, 0, help.stderr);
      assert.match(help.stdout, /A load-balancing lab/);
      assert.match(help.stdout, /\bup\b/);
    })(),
    2 * NPM_TIMEOUT_MS,
    'npm pack and install',
  );
});

test.run();
