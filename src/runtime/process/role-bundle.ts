// Where a role's bundled code is: `npm run build` bundles the backend's process entry and its worker (scripts/bundle-backend-worker.mjs)
// into build/, because one bundled file starts in far less CPU than ~150 ES modules (64 backends each start once).
import { statSync } from 'node:fs';

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
