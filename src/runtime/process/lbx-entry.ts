// How to start another lbx process: this Node binary plus the CLI entry script (bin/lbx.js), or the single executable itself.
import { isSea } from 'node:sea';
import { fileURLToPath } from 'node:url';

import { bundledEntryArgs } from './role-bundle.js';

/**
 * V8 heap sizing for long-running roles. Under a request storm grpc-js's short-lived call
 * objects get promoted and V8's default heuristics let old space grow: a backend reached
 * 125 MB RSS after 24,000 requests at c=64 (the JS heap after a full GC: 12 MB). A 1 MB
 * young generation, 10% heap growth and an early memory reducer keep backends near 77 MB in
 * `npm run bench` at the same throughput. --optimize-for-size reached 67 MB but cost 30% of
 * backend throughput (measured 2026-11).
 *
 * An 8 times larger interrupt budget (V8's default is 66 KB of bytecode run before a function is considered for
 * optimisation) keeps start-up code, which runs once, out of TurboFan: an idle backend compiled two start-up functions
 * with it, which touched 3.5 MB of the node binary's compiler pages (RSS 57 against 53.5 MB, 2026-12-07) and cost some
 * 25 ms of CPU. Work that runs long or often (a CPU_HEAVY task's loop, the per-call path under load) still gets
 * optimised: 55-unit CPU_HEAVY tasks ran in 11 ms from the third on with either budget (27-42 ms before that; one
 * run each, on a machine busy with CI, 2026-12-07).
 */
export const ROLE_NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=10', '--gc-memory-reducer-start-delay-ms=1000', '--interrupt-budget=540672'];

/**
 * A backend's: the roles', gc() for the collections after start-up (startup-garbage.ts), and no memory reducer. The
 * reducer's idle collections were half of an idle backend's CPU (80–100 against 40–60 ms per 30 s alone; 64 idle
 * backends 0.138–0.185 against 0.059–0.063 cores) and bought nothing once a backend has settled: 50.0 MB of RSS
 * either way 90 s after start, 55.7–59.8 against 57.4–58.7 MB 45 s after 20,000 tasks (4 backends, 2026-12-07).
 */
const BACKEND_NODE_FLAGS = [...ROLE_NODE_FLAGS.filter((flag) => !flag.startsWith('--gc-memory-reducer')), '--no-memory-reducer', '--expose-gc'];

/**
 * The LB's own heap sizing. It is one process and, in proxy mode, the hot path of every call: with
 * the backends' 1 MB young generation the frame relay spent a third of its CPU in scavenges. An
 * 8 MB one, 3 runs alternated against ROLE_NODE_FLAGS (30,000 unary calls at c=64 through the
 * relay, 2026-12-07): 42-48 against 62-70 µs of LB CPU per call, at 3,218-3,786 against
 * 2,919-3,725 calls/s.
 */
export const LB_NODE_FLAGS = ['--max-semi-space-size=8'];

/**
 * argv prefix that runs the lbx CLI as a long-running role; the caller appends "serve <role> …".
 * A single executable takes no node options on its command line (every argument is the app's):
 * it applies ROLE_NODE_FLAGS itself when it starts a role (src/bin/sea-main.ts).
 */
export function lbxCommandPrefix(nodeFlags: readonly string[] = ROLE_NODE_FLAGS): { file: string; args: string[] } {
  if (isSea()) return { file: process.execPath, args: [] };
  const entry = fileURLToPath(new URL('../../../bin/lbx.js', import.meta.url));
  return { file: process.execPath, args: [...nodeFlags, entry] };
}

/** As lbxCommandPrefix, with the LB's heap sizing (a single executable keeps the roles' NODE_OPTIONS: see sea-main.ts). */
export const lbCommandPrefix = (): { file: string; args: string[] } => lbxCommandPrefix(LB_NODE_FLAGS);

/**
 * argv prefix that runs a supervised backend; the caller appends "serve backend …". Its own entry rather than
 * bin/lbx.js: one bundled file with a V8 code cache when the build made it (run by build/run-bundle.cjs; it starts
 * in about two thirds of the CPU, see src/cli/roles/backend-entry.ts), else its compiled module; a single
 * executable runs itself as for every role.
 */
export function backendCommandPrefix(): { file: string; args: string[] } {
  if (isSea()) return lbxCommandPrefix();
  return { file: process.execPath, args: [...BACKEND_NODE_FLAGS, ...bundledEntryArgs('backend-role.cjs', new URL('../../cli/roles/backend-entry.js', import.meta.url))] };
}
