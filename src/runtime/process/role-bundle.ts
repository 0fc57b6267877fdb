// Where a role's bundled code is: `npm run build` bundles the backend's process entry and its worker (scripts/bundle.mjs)
// into build/, because one bundled file starts in far less CPU than ~150 ES modules (64 backends each start once).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** build/<name> of this package. */
export const bundleUrl = (bundleName: string): URL => new URL(`../../../build/${bundleName}`, import.meta.url);

/**
 * `bundle` when it is there and at least as new as `own` (the compiled module it was made from), else `own`: a
 * bundle older than the build holds stale code, and without esbuild there is none.
 */
export function freshBundleOr(bundle: URL, own: URL): URL {
  try {
    return statSync(bundle).mtimeMs >= statSync(own).mtimeMs ? bundle : own;
  } catch {
    return own;
  }
}

/**
 * Where bundles are run from: the entry that compiles them with their code cache (cli/roles/run-bundle.ts), itself
 * bundled as CommonJS when the build made it (an ES module entry costs each backend Node's ES module loader).
 */
export const runBundleUrl = (): URL => freshBundleOr(bundleUrl('run-bundle.cjs'), new URL('../../cli/roles/run-bundle.js', import.meta.url));

/**
 * The script argv that runs a role's code: the bundle runner and build/<bundleName> when that bundle is fresh (see
 * freshBundleOr), else the compiled module `own`. A worker thread takes the first as its file and the rest as argv.
 */
export function bundledEntryArgs(bundleName: string, own: URL): [string, ...string[]] {
  const bundle = bundleUrl(bundleName);
  const chosen = freshBundleOr(bundle, own);
  return chosen === bundle ? [fileURLToPath(runBundleUrl()), fileURLToPath(bundle)] : [fileURLToPath(own)];
}
