// `npm run bench -- gray`: gray failures and the policies and defences that answer them (issue 15's benchmark).
//
// The scenario itself lives in the runtime (src/runtime/bench/gray-scenario.ts) and runs as `lbx bench --scenario gray`:
// 6 backends (one 200 ms late, one failing 5 % with UNAVAILABLE, one hanging 1 %, three healthy), a no-fault baseline,
// then rr, lc, p2c, ewma and pq each without defences and with them (2 retries in a 20 % budget, a hedge after 60 ms),
// the same seeded workload (3,000 SIMPLE + 150 CPU_HEAVY, 16 in flight, 1 s deadline). This script runs that command
// on a free base port in a temporary LBX_HOME and prints the machine's load average before and after, since the
// figures on a shared 2-core machine depend on it. LBX_BENCH_GRAY_POLICIES=rr,pq picks the policies;
// LBX_BENCH_GRAY_HTML=file also writes the HTML page.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const home = mkdtempSync(path.join(os.tmpdir(), 'lbx-bench-gray-'));
const { freeBasePort } = await import('../test/helpers/free-base-port.js');
const loadAverage = (): string =>
  os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');

try {
  const basePort = await freeBasePort();
  const policies = process.env.LBX_BENCH_GRAY_POLICIES;
  const html = process.env.LBX_BENCH_GRAY_HTML;
  const args = ['bench', '--scenario', 'gray', '--base-port', String(basePort), ...(policies ? ['--policies', policies] : []), ...(html ? ['--html', html] : [])];
  console.log(`load average before: ${loadAverage()}`);
  const result = await execa(process.execPath, [path.join(root, 'bin/lbx.js'), ...args], { env: { ...process.env, LBX_HOME: home }, stdio: 'inherit', reject: false });
  console.log(`load average after: ${loadAverage()}`);
  process.exitCode = result.exitCode ?? 1;
} finally {
  rmSync(home, { recursive: true, force: true });
}
