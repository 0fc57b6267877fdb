// Runs iproute2's `ip` and `tc` (and nftables' `nft` inside a namespace) for `lbx up --netns`: found on PATH (or in sbin), bounded in time, failures naming the command and its stderr.
import { spawnSync } from 'node:child_process';

import { LbxError } from '../../core/lbx-error.js';
import { findSystemExecutable } from '../registry/find-executable.js';

const COMMAND_TIMEOUT_MS = 10_000;

export type NetTool = 'ip' | 'tc' | 'nft';

export interface ToolRun {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Where `ip`, `tc` or `nft` is, or undefined. */
export const findNetTool = (tool: NetTool): string | undefined => findSystemExecutable(tool);

/** Runs the tool and returns what happened; never throws (a missing binary is a failed run saying so). */
export function tryNetTool(tool: NetTool, args: readonly string[]): ToolRun {
  const file = findNetTool(tool);
  if (file === undefined) return { ok: false, stdout: '', stderr: `no ${tool} binary on PATH (${tool === 'nft' ? 'nftables' : 'iproute2'})` };
  const result = spawnSync(file, [...args], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
  if (result.error) return { ok: false, stdout: '', stderr: result.error.message };
  return { ok: result.status === 0, stdout: result.stdout, stderr: result.stderr.trim() };
}

/** Runs the tool; a failure is a runtime error naming the command line and what it said. */
export function runNetTool(tool: NetTool, args: readonly string[]): string {
  const run = tryNetTool(tool, args);
  if (!run.ok) throw new LbxError('runtime', `${tool} ${args.join(' ')} failed: ${run.stderr || 'no message'}`);
  return run.stdout;
}

/** Runs `nft` inside a namespace (`ip netns exec`); never throws, like tryNetTool. */
export function tryNftIn(namespace: string, args: readonly string[]): ToolRun {
  const nft = findNetTool('nft');
  if (nft === undefined) return { ok: false, stdout: '', stderr: 'no nft binary on PATH (nftables)' };
  return tryNetTool('ip', ['netns', 'exec', namespace, nft, ...args]);
}
