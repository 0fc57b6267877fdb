// Runs the real lbx CLI (bin/lbx.js, built) against a private LBX_HOME, bounded in time; finds leftover processes.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { execa } from 'execa';

import { slackMs } from './load-slack.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const LBX_BIN = path.join(root, 'bin/lbx.js');
const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;

export interface LbxResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LbxSandbox {
  readonly home: string;
  readonly env: NodeJS.ProcessEnv;
  run(args: readonly string[], options?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<LbxResult>;
  /** Runs with --json and parses stdout; throws with both streams when the command fails or prints no JSON. */
  json<T>(args: readonly string[], options?: { timeoutMs?: number; allowFailure?: boolean }): Promise<T>;
  /** Pids of live processes whose argv mentions this sandbox's home (every lbx child carries --cluster-dir under it). */
  leftoverPids(): number[];
  /** The cluster's component logs, for a failing test's message. */
  logs(cluster?: string): string;
  dispose(): void;
}

export function createSandbox(label: string): LbxSandbox {
  const home = mkdtempSync(path.join(os.tmpdir(), `lbx-test-${label}-`));
  // Something in the test process sets FORCE_COLOR, which makes Node warn next to NO_COLOR in every child.
  const { FORCE_COLOR: _forceColor, ...inherited } = process.env;
  const env = { ...inherited, LBX_HOME: home, CI: '1', NO_COLOR: '1' };
  const run = async (args: readonly string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<LbxResult> => {
    // A hang guard, stretched on a loaded machine like every test bound.
    const timeoutMs = slackMs(options.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    const result = await execa(process.execPath, [LBX_BIN, ...args], {
      env: { ...env, ...options.env },
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
    });
    if (result.timedOut) throw new Error(`lbx ${args.join(' ')} timed out after ${timeoutMs} ms\n${result.stderr}`);
    return { exitCode: result.exitCode ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  return {
    home,
    env,
    run,
    json: async <T>(args: readonly string[], options: { timeoutMs?: number; allowFailure?: boolean } = {}) => {
      const result = await run([...args, '--json'], options);
      if (result.exitCode !== 0 && !options.allowFailure) {
        throw new Error(`lbx ${args.join(' ')} exited ${result.exitCode}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
      }
      try {
        return JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(`lbx ${args.join(' ')} printed no JSON\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
      }
    },
    leftoverPids: () => findPidsMentioning(home),
    logs: (cluster = 'default') => readLogs(path.join(home, cluster, 'logs')),
    dispose: () => rmSync(home, { recursive: true, force: true }),
  };
}

export function findPidsMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return pids;
}

function readLogs(dir: string): string {
  try {
    return readdirSync(dir)
      .map((name) => `--- ${name} ---\n${readFileSync(path.join(dir, name), 'utf8').split('\n').slice(-30).join('\n')}`)
      .join('\n');
  } catch {
    return `(no logs in ${dir})`;
  }
}

/**
 * Polls `condition` every 25 ms until true or `timeoutMs`; returns whether it became true. The deadline is not
 * stretched for load (tests assert some of them as figures): pass slackMs(ms) where it is only a hang guard.
 */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Ends processes this test started (found by its sandbox home in their argv) — a last resort in teardown. */
export function killLeftovers(sandbox: LbxSandbox): number[] {
  const pids = sandbox.leftoverPids();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  return pids;
}
