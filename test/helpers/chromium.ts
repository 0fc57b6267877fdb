// Headless Chromium for the browser tests: find it, run it bounded in time in a fresh profile, dump the DOM or take a screenshot.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'] as const;
export const DEFAULT_CHROMIUM_TIMEOUT_MS = 30_000;
/** After SIGTERM to a hung browser's group, how long before SIGKILL. */
const KILL_GRACE_MS = 2_000;

/** The browser's path, or undefined when none is installed (tests skip with that reason). */
export function findChromium(): string | undefined {
  return CANDIDATES.find((candidate) => existsSync(candidate));
}

export interface ChromiumRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** No network beyond what the page asks for (nothing), no sync, no updates, no GPU, a profile of its own. */
function baseArgs(userDataDir: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    // Console messages and uncaught errors go to stderr, so a test can assert there are none.
    '--enable-logging=stderr',
    '--v=0',
    `--user-data-dir=${userDataDir}`,
  ];
}

/**
 * Runs Chromium on `file` with `extraArgs` in an empty temporary profile, in its own process
 * group; kills the group if it has not exited within `timeoutMs`, and removes the profile.
 */
export async function runChromium(browser: string, file: string, extraArgs: readonly string[], timeoutMs = DEFAULT_CHROMIUM_TIMEOUT_MS): Promise<ChromiumRun> {
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'lbx-chromium-profile-'));
  try {
    return await new Promise<ChromiumRun>((resolve, reject) => {
      const child = spawn(browser, [...baseArgs(userDataDir), ...extraArgs, pathToFileURL(file).href], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const killGroup = (signal: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, signal);
        } catch {
          // ESRCH: already gone.
        }
      };
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        killGroup('SIGTERM');
        killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
        reject(new Error(`chromium on ${file} did not exit within ${timeoutMs} ms (killed pid ${child.pid})\nstderr: ${stderr.slice(-2_000)}`));
      }, timeoutMs);
      child.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        clearTimeout(killTimer);
        // Helpers (zygote, utility processes) of a browser that has exited must not outlive the test.
        killGroup('SIGKILL');
        resolve({ exitCode, stdout, stderr });
      });
    });
  } finally {
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

/** The DOM after the page loaded. */
export async function dumpDom(browser: string, file: string): Promise<ChromiumRun> {
  return runChromium(browser, file, ['--dump-dom']);
}

/** A PNG of the page at 1280×2000. */
export async function takeScreenshot(browser: string, file: string, pngFile: string): Promise<ChromiumRun> {
  return runChromium(browser, file, [`--screenshot=${pngFile}`, '--window-size=1280,2000', '--hide-scrollbars']);
}

/** Lines of Chromium's log that report a page error or console message. */
export function consoleErrorsIn(stderr: string): string[] {
  return stderr.split('\n').filter((line) => /Uncaught|CONSOLE\(|:CONSOLE|console/i.test(line));
}

/** `data-chart` name and `data-points` of every chart element in a DOM dump, in document order. */
export function chartsInDom(dom: string): { chart: string; points: number }[] {
  return [...dom.matchAll(/<figure\b[^>]*>/g)].flatMap(([tag]) => {
    const chart = /data-chart="([^"]*)"/.exec(tag)?.[1];
    const points = /data-points="(\d+)"/.exec(tag)?.[1];
    return chart === undefined ? [] : [{ chart, points: Number(points ?? 0) }];
  });
}
