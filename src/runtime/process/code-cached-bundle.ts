// Runs a CommonJS bundle from build/ with a V8 code cache beside it (<bundle>.v8cache). Compiling the backend's 0.9 MB
// bundle costs each new process or worker thread most of its load time (V8 pre-parses the whole file); from the cache it
// is read back instead: 0.14 against 0.21 CPU-s to load the bundle, node's own start included (issue 16). Node 20 has
// no compile cache of its own (module.enableCompileCache came in 22), so this is vm.Script's documented cachedData.
import { accessSync, constants, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/**
 * What happened to the cache: read back, written (there was none, or V8 refused it: another node or other flags), or not
 * writable. A cache read back that holds only the top-level code is `used` too; the warm one replaces it later.
 */
export type CodeCacheOutcome = 'used' | 'written' | 'unwritable';

/**
 * A cache made right after compiling holds only what V8 compiled eagerly (the top level: 78 KB of the backend's 0.9 MB);
 * every function a backend runs on its way up is still compiled lazily, in each process. Made again once the role has
 * started, it holds those too. This long after its start a role has registered and answered its first checks.
 */
export const WARM_CACHE_AFTER_MS = 5_000;

export const codeCachePath = (bundlePath: string): string => `${bundlePath}.v8cache`;

/**
 * A cache file starts with the bundle's length and CRC-32 (4 bytes each), then a byte saying whether it is warm (made
 * after start-up), then V8's data. V8 checks its data against the source's length only: a rebuilt bundle of the same
 * length would otherwise run the old bundle's compiled code. The CRC catches a rebuild, not an attacker (who can write
 * build/ can change the bundle itself): over the file's bytes it costs 0.2 ms where a SHA-256 of the source string
 * cost 8.6 ms of every backend's and worker's start (2026-12-07).
 */
const IDENTITY_BYTES = 8;
/** Where the warm flag sits in a cache file. */
export const WARM_FLAG_OFFSET = IDENTITY_BYTES;
const HEADER_BYTES = IDENTITY_BYTES + 1;

function identityOf(bundle: Buffer): Buffer {
  const identity = Buffer.alloc(IDENTITY_BYTES);
  identity.writeUInt32LE(bundle.length >>> 0, 0);
  identity.writeUInt32LE(crc32(bundle), 4);
  return identity;
}

interface CachedCode {
  readonly data: Buffer;
  readonly isWarm: boolean;
}

function readCache(file: string, identity: Buffer): CachedCode | undefined {
  try {
    const bytes = readFileSync(file);
    if (bytes.length <= HEADER_BYTES || !bytes.subarray(0, IDENTITY_BYTES).equals(identity)) return undefined;
    return { data: bytes.subarray(HEADER_BYTES), isWarm: bytes[WARM_FLAG_OFFSET] === 1 };
  } catch {
    return undefined;
  }
}

/** A read-only install keeps the cache it came with: making a warm one only to fail writing it would cost every run. */
function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Written whole under a name of this process's own and renamed into place, so a process reading it while 64 others
 * start never sees half a file. A package installed read-only keeps no cache and loads as without one.
 */
function writeCache(file: string, identity: Buffer, data: Buffer, isWarm: boolean): boolean {
  const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(partial, Buffer.concat([identity, Buffer.of(isWarm ? 1 : 0), data]));
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
 * top-level code V8 compiles eagerly) and runs it as a CommonJS module. Unless the cache was warm already, it is made
 * again `warmAt` with everything compiled by then: that many ms later (a timer that keeps no process alive), or as the
 * process exits (a command that is over in a second).
 */
export function runCodeCachedBundle(bundlePath: string, warmAt: number | 'exit' = WARM_CACHE_AFTER_MS): CodeCacheOutcome {
  const cachePath = codeCachePath(bundlePath);
  const bundle = readFileSync(bundlePath);
  const identity = identityOf(bundle);
  const source = Module.wrap(bundle.toString('utf8'));
  const cached = readCache(cachePath, identity);
  const script = new Script(source, { filename: bundlePath, cachedData: cached?.data });
  let outcome: CodeCacheOutcome = 'used';
  const isAccepted = cached !== undefined && script.cachedDataRejected !== true;
  if (!isAccepted) outcome = writeCache(cachePath, identity, script.createCachedData(), false) ? 'written' : 'unwritable';
  // A warm cache read back is the usual start: nothing more to do. A cache just written proves the directory writable.
  const needsWarm = !(isAccepted && cached.isWarm) && (outcome === 'written' || (outcome === 'used' && isWritable(path.dirname(cachePath))));
  if (needsWarm) {
    const writeWarm = (): boolean => writeCache(cachePath, identity, script.createCachedData(), true);
    if (warmAt === 'exit') process.once('exit', writeWarm);
    else setTimeout(writeWarm, warmAt).unref();
  }
  const moduleFunction = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
  const bundleModule = { exports: {} };
  moduleFunction.call(bundleModule.exports, bundleModule.exports, createRequire(bundlePath), bundleModule, bundlePath, path.dirname(bundlePath));
  return outcome;
}
