// A bundle run with its V8 code cache: the cache is written when missing, read back after, made again for a bundle
// that changed (even to one of the same length, which V8's own check lets through), made again warm once the bundle has
// run a while, and its absence never stops a run.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { codeCachePath, runCodeCachedBundle, WARM_FLAG_OFFSET } from '../../src/runtime/process/code-cached-bundle.js';

interface Seen {
  readonly value: number;
  readonly file: string;
  readonly dirname: string;
  readonly base: string;
}
const seen = (): Seen => (globalThis as unknown as { lbxCodeCacheTest: Seen }).lbxCodeCacheTest;

/** A bundle that says what it saw: its CommonJS globals work, and `value` tells which source ran. */
const bundleSource = (value: number): string =>
  `globalThis.lbxCodeCacheTest = { value: ${value}, file: __filename, dirname: __dirname, base: require('node:path').basename(__filename) };\n` +
  `module.exports.double = (x) => x * ${value};\n` +
  `globalThis.lbxCodeCacheDouble = module.exports.double;\n`;

const test = suite('code-cached bundle');
let dir = '';
test.before.each(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lbx-code-cache-'));
});
test.after.each(() => rmSync(dir, { recursive: true, force: true }));

test('the first run writes the cache, the next reads it back, and both run the bundle as a CommonJS module', () => {
  const bundle = path.join(dir, 'role.cjs');
  writeFileSync(bundle, bundleSource(1));
  assert.is(runCodeCachedBundle(bundle), 'written');
  assert.ok(readFileSync(codeCachePath(bundle)).length > WARM_FLAG_OFFSET + 1);
  assert.equal(seen(), { value: 1, file: bundle, dirname: dir, base: 'role.cjs' });
  assert.is(runCodeCachedBundle(bundle), 'used');
  assert.is(seen().value, 1);
});

test('a bundle rebuilt to the same length runs its new code and gets a new cache', () => {
  const bundle = path.join(dir, 'role.cjs');
  writeFileSync(bundle, bundleSource(1));
  runCodeCachedBundle(bundle);
  writeFileSync(bundle, bundleSource(2));
  assert.is(runCodeCachedBundle(bundle), 'written');
  assert.is(seen().value, 2);
  assert.is(runCodeCachedBundle(bundle), 'used');
});

test('a cache that cannot be written, or is garbage, leaves the bundle running', () => {
  const bundle = path.join(dir, 'role.cjs');
  writeFileSync(bundle, bundleSource(3));
  mkdirSync(codeCachePath(bundle));
  assert.is(runCodeCachedBundle(bundle), 'unwritable');
  assert.is(seen().value, 3);
  rmSync(codeCachePath(bundle), { recursive: true });
  writeFileSync(codeCachePath(bundle), 'not a cache');
  assert.is(runCodeCachedBundle(bundle), 'written');
  assert.is(runCodeCachedBundle(bundle), 'used');
});

/** The cache's warm byte (after the bundle's length and CRC): 1 once it was made after start-up. */
const warmByte = (bundle: string): number | undefined => readFileSync(codeCachePath(bundle))[WARM_FLAG_OFFSET];

test('the cache is made again, warm, after start-up with what ran since; a warm cache is left as it is', async () => {
  const bundle = path.join(dir, 'role.cjs');
  writeFileSync(bundle, bundleSource(4));
  assert.is(runCodeCachedBundle(bundle, 1), 'written');
  assert.is(warmByte(bundle), 0);
  // The function below was compiled lazily, after the first cache was made: the warm one holds it.
  assert.is((globalThis as unknown as { lbxCodeCacheDouble: (x: number) => number }).lbxCodeCacheDouble(2), 8);
  const coldSize = statSync(codeCachePath(bundle)).size;
  await sleep(50);
  assert.is(warmByte(bundle), 1);
  assert.ok(statSync(codeCachePath(bundle)).size > coldSize, 'the warm cache holds the function compiled since');
  const warmFile = statSync(codeCachePath(bundle)).ino;
  assert.is(runCodeCachedBundle(bundle, 1), 'used');
  assert.is(seen().value, 4);
  await sleep(50);
  assert.is(statSync(codeCachePath(bundle)).ino, warmFile, 'a warm cache is not written again');
});

test.run();
