// Runs a CommonJS bundle from build/ with a V8 code cache beside it (<bundle>.v8cache). Compiling the backend's 0.9 MB
// bundle costs each new process or worker thread most of its load time (V8 pre-parses the whole file); from the cache it
// is read back instead: 0.14 against 0.21 CPU-s to load the bundle, node's own start included (issue 16). Node 20 has
// no compile cache of its own (module.enableCompileCache came in 22), so this is vm.Script's documented cachedData.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';

/** What happened to the cache: read back, written (there was none, or V8 refused it: another node or other flags), or not writable. */
export type CodeCacheOutcome = 'used' | 'written' | 'unwritable';

export const codeCachePath = (bundlePath: string): string => `${bundlePath}.v8cache`;

/**
 * A cache file is the SHA-256 of the source it was made from, then V8's data. V8 checks its data against the source's
 * length only: a rebuilt bundle of the same length would otherwise run the old bundle's compiled code.
 */
const DIGEST_BYTES = 32;
const digestOf = (source: string): Buffer => createHash('sha256').update(source).digest();

function readCache(file: string, digest: Buffer): Buffer | undefined {
  try {
    const data = readFileSync(file);
    return data.length > DIGEST_BYTES && data.subarray(0, DIGEST_BYTES).equals(digest) ? data.subarray(DIGEST_BYTES) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Written whole under a name of this process's own and renamed into place, so a process reading it while 64 others
 * start never sees half a file. A package installed read-only keeps no cache and loads as without one.
 */
function writeCache(file: string, digest: Buffer, data: Buffer): boolean {
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(partial, Buffer.concat([digest, data]));
    renameSync(partial, file);
    return true;
  } catch {
    try {
      unlinkSync(partial);
    } catch {
      // Never written.
    }
    return false;
  }
}

/**
 * Compiles the bundle at `bundlePath` (from its cache when V8 takes it, else afresh, and then writes the cache: the
 * top-level code V8 compiles eagerly, which is where the time goes) and runs it as a CommonJS module.
 */
export function runCodeCachedBundle(bundlePath: string): CodeCacheOutcome {
  const cachePath = codeCachePath(bundlePath);
  const source = Module.wrap(readFileSync(bundlePath, 'utf8'));
  const digest = digestOf(source);
  const cachedData = readCache(cachePath, digest);
  const script = new Script(source, { filename: bundlePath, cachedData });
  let outcome: CodeCacheOutcome = 'used';
  if (cachedData === undefined || script.cachedDataRejected === true) outcome = writeCache(cachePath, digest, script.createCachedData()) ? 'written' : 'unwritable';
  const moduleFunction = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const bundleModule = { exports: {} };
  moduleFunction.call(bundleModule.exports, bundleModule.exports, createRequire(bundlePath), bundleModule, bundlePath, path.dirname(bundlePath));
  return outcome;
}
