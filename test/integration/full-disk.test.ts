// A full LBX_HOME (a small tmpfs, filled): send still prints its figures and says the run was not saved,
// backends keep serving and say their counts were not persisted, and no temp file is left behind.
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { createSandbox, killLeftovers } from '../helpers/lbx-cli.js';
import { defineCluster } from '../helpers/cluster-kit.js';
import { freeBasePort } from '../helpers/free-base-port.js';
import { withTimeout } from '../helpers/with-timeout.js';

const BASE_PORT = await freeBasePort({ span: 200 });
const TMPFS_SIZE = '8m';
const TEST_TIMEOUT_MS = 90_000;

interface SendJson {
  summary: { sent: number; ok: number; failed: number };
  saveError?: string;
}
interface ReportJson {
  backends: Array<{ address: string; servedSource: string }>;
}

const sandbox = createSandbox('full-disk');
const full = suite('a full LBX_HOME');
const fillerPath = path.join(sandbox.home, 'filler');

/** Mounting a tmpfs needs root and a kernel that lets this sandbox mount: the reason when it cannot, printed as a skip. */
function mountTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0700`, 'tmpfs', sandbox.home], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount -t tmpfs failed: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

/** Writes zeros until the file system refuses: bounded by its size. */
function fillDisk(): void {
  const fd = openSync(fillerPath, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let written = 0; written < 64 * 1024 * 1024; written += chunk.length) writeSync(fd, chunk);
    throw new Error('the tmpfs did not fill up');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

const tempFilesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((entry) => entry.endsWith('.tmp'));

const skipReason = mountTmpfs();
full.after(() => {
  killLeftovers(sandbox);
  if (skipReason === undefined) execFileSync('umount', ['-l', sandbox.home]);
  sandbox.dispose();
});

if (skipReason !== undefined) {
  console.log(`SKIPPED: full-disk tests (${skipReason})`);
  full.skip('send, add and report on a full disk', () => undefined);
} else {
  full('send prints its figures and says the run was not saved; a backend that cannot persist its counts keeps serving; report says so; no temp file', async () => {
    const cluster = defineCluster<unknown, SendJson, ReportJson>(sandbox, 'default', BASE_PORT);
    try {
      await withTimeout(
        (async () => {
          await cluster.json(['up', '--backends', '2', '--base-port', String(BASE_PORT)]);
          fillDisk();

          const plain = await cluster.run(['send', '--simple', '200']);
          assert.equal(plain.exitCode, 1, plain.stderr);
          assert.match(plain.stdout, /BACKEND\s+REQUESTS/, 'the distribution table is printed');
          assert.match(plain.stdout, /sent 200\s+ok 200/);
          assert.match(plain.stderr, /could not be saved .*ENOSPC/);

          const json = await cluster.send(['--simple', '50']);
          assert.equal(json.summary.ok, 50);
          assert.match(json.saveError ?? '', /ENOSPC/);

          const added = await cluster.run(['add']);
          assert.equal(added.exitCode, 0, `a backend starts on a full disk: ${added.stderr}`);
          const newBackend = cluster.backend(2);
          const countsFile = path.join(sandbox.home, 'default', 'served', `backend-${newBackend.port}.bin`);
          assert.equal(statSync(countsFile).size, 0, 'its counts file says "not persisted"');
          await cluster.send(['--simple', '60']);
          assert.equal((await cluster.run(['kill', String(newBackend.port)])).exitCode, 0);

          const report = await cluster.report();
          const row = report.backends.find((backend) => backend.address === newBackend.address);
          assert.equal(row?.servedSource, 'not-persisted');
          const text = await cluster.run(['report']);
          assert.match(text.stdout, /counts not persisted/);
          assert.equal(tempFilesUnder(sandbox.home), [], 'no temp file left behind');
        })(),
        TEST_TIMEOUT_MS,
        'full-disk test',
      );
    } catch (error) {
      console.error(sandbox.logs());
      throw error;
    } finally {
      rmSync(fillerPath, { force: true });
      await cluster.run(['down']);
    }
  });
}

full.run();
