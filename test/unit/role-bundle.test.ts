import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { test } from 'uvu';
import * as assert from 'uvu/assert';

import { bundledEntryArgs, bundleUrl, freshBundleOr, runBundleUrl } from '../../src/runtime/process/role-bundle.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lbx-role-bundle-'));
const own = pathToFileURL(path.join(dir, 'backend-entry.js'));
const bundle = pathToFileURL(path.join(dir, 'backend-role.mjs'));
writeFileSync(own, '// own');

test('no bundle (no esbuild at build time): the compiled module runs', () => {
  assert.is(freshBundleOr(bundle, own).href, own.href);
});

test('a bundle made after the build runs', () => {
  writeFileSync(bundle, '// bundle');
  utimesSync(own, 1_000, 1_000);
  utimesSync(bundle, 2_000, 2_000);
  assert.is(freshBundleOr(bundle, own).href, bundle.href);
});

test('a bundle older than the build holds stale code: the compiled module runs', () => {
  utimesSync(bundle, 1_000, 1_000);
  utimesSync(own, 2_000, 2_000);
  assert.is(freshBundleOr(bundle, own).href, own.href);
});

test('the compiled module missing too: it is still the answer (the error names it when it is run)', () => {
  const missing = pathToFileURL(path.join(dir, 'missing.js'));
  assert.is(freshBundleOr(bundle, missing).href, missing.href);
});

test('a fresh bundle runs through run-bundle.js (its code cache), a missing one as the compiled module', () => {
  const name = `lbx-test-missing-${process.pid}.cjs`;
  assert.equal(bundledEntryArgs(name, own), [fileURLToPath(own)]);
  const bundleName = 'backend-role.cjs';
  const inBuild = bundleUrl(bundleName);
  // The build made it (npm test builds first): with an older compiled module the bundle is chosen.
  utimesSync(own, 1_000, 1_000);
  assert.equal(bundledEntryArgs(bundleName, own), [fileURLToPath(runBundleUrl()), fileURLToPath(inBuild)]);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
