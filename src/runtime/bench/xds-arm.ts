// The xds arm of `lbx bench --client`: one policy's tasks sent by a stock grpc-js-xds client, in a child process.
//
// Why a child process rather than calling runXdsSend here: grpc-js-xds keeps one xDS client per process, reads
// its bootstrap once, and has no way to close its ADS stream, which would hold the bench open after its last
// policy (`send --client xds` ends its process on a timer for that). A fresh process per arm starts its own ADS
// stream after the policy switch, so its first config is the new policy's, not what the last arm left cached;
// nothing of grpc-js-xds loads into the bench itself; and the stream ends with the process. The child runs the
// very runXdsSend of `send --client xds` (xds-arm-child.ts), so both measure the same way.
import { fork, type ChildProcess } from 'node:child_process';
import { isSea } from 'node:sea';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { LbxError, type LbxErrorCode } from '../../core/lbx-error.js';
import { signalProcess } from '../process/pid-probe.js';
import type { SendResult } from '../client/send-run.js';
import type { XdsSendOptions } from '../client/xds-send-run.js';

/** What the child is told to run: the send's settings, none of its callbacks. */
export type XdsArmPlan = Omit<XdsSendOptions, 'onProgress' | 'stop' | 'random'>;

/** Parent → child: wind down (the first Ctrl-C): no new tasks, the ones in flight end. */
export type XdsArmRequest = { readonly type: 'stop' };

/** Child → parent: ready (listening for a stop: one sent earlier could be lost), progress now and then, then exactly one result or error. */
export type XdsArmReport =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly done: number; readonly total: number; readonly failed: number }
  | { readonly type: 'result'; readonly result: SendResult }
  | { readonly type: 'error'; readonly code: LbxErrorCode; readonly message: string; readonly suggestions: readonly string[] };

/** Kept of the child's stderr for an error message: enough for a stack trace's top. */
const STDERR_TAIL_CHARS = 2_000;

/** The xds arm cannot run from the single binary (grpc-js-xds reads its protos from its npm package): said before any cluster starts. */
export function checkXdsArmCanRun(): void {
  if (!isSea()) return;
  throw new LbxError('usage', 'bench --client xds cannot run from the single binary: @grpc/grpc-js-xds reads its protos from its npm package', [
    'run it from the npm package (npx lbx bench --client lbx,xds), or leave out --client xds',
  ]);
}

/** The child's entry beside this file: .js when built, .ts under tsx (whose loader the child inherits through execArgv). */
const childEntry = (): string => {
  const here = fileURLToPath(import.meta.url);
  return path.join(path.dirname(here), `xds-arm-child${path.extname(here)}`);
};

/** Sends one arm's tasks through a stock xDS client in a child process; `options.stop` winds it down like a send. */
export async function runXdsArm(options: XdsSendOptions): Promise<SendResult> {
  const { onProgress, stop, random: _random, ...plan } = options;
  // Its own process group: a terminal's Ctrl-C reaches the bench, which asks the child to wind down over IPC.
  const child = fork(childEntry(), [JSON.stringify(plan satisfies XdsArmPlan)], { detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_CHARS)));
  let isReady = false;
  const askStop = (): void => {
    if (isReady && child.connected) child.send({ type: 'stop' } satisfies XdsArmRequest);
  };
  const onReady = (): void => {
    isReady = true;
    if (stop?.aborted) askStop();
  };
  stop?.addEventListener('abort', askStop, { once: true });
  try {
    return await awaitReport(child, { onReady, onProgress }, () => stderr);
  } finally {
    stop?.removeEventListener('abort', askStop);
    // Normally gone already; on an error here it must not outlive the arm.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) signalProcess(child.pid, 'SIGKILL');
  }
}

/** The child's result, relaying its progress; its error as an LbxError; an exit without either as a runtime error with its stderr. */
function awaitReport(child: ChildProcess, on: { onReady: () => void; onProgress: XdsSendOptions['onProgress'] }, stderr: () => string): Promise<SendResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    child.on('message', (message: XdsArmReport) => {
      if (message.type === 'ready') on.onReady();
      else if (message.type === 'progress') on.onProgress?.(message.done, message.total, message.failed);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.result);
      } else {
        settled = true;
        reject(new LbxError(message.code, message.message, message.suggestions));
      }
    });
    child.on('error', (error) => {
      if (settled) return;
      settled = true;
      reject(new LbxError('runtime', `the xds arm's client process could not run: ${error.message}`));
    });
    // 'close', not 'exit': it comes after the IPC channel is drained, so a result sent just before the exit is not lost.
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      const how = signal ? `signal ${signal}` : `code ${code ?? 'unknown'}`;
      reject(new LbxError('runtime', `the xds arm's client process (pid ${child.pid ?? '?'}) exited with ${how} before its result${stderr() ? `: ${stderr().trim()}` : ''}`));
    });
  });
}
