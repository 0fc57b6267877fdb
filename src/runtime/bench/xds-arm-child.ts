// The process of one xds arm of `lbx bench --client` (forked by xds-arm.ts): runs runXdsSend on the plan in argv,
// reports progress and the result over IPC, and exits, which is what ends grpc-js-xds's ADS stream.
import { isLbxError } from '../../core/lbx-error.js';
import { runXdsSend } from '../client/xds-send-run.js';
import type { XdsArmPlan, XdsArmReport, XdsArmRequest } from './xds-arm.js';

/** Progress goes to the bench at most this often (the last task's always): one IPC message per task would cost the run. */
const PROGRESS_EVERY_MS = 100;

/** Sends a report and resolves once it is on its way, so exiting next does not drop it. */
const report = (message: XdsArmReport): Promise<void> =>
  new Promise((resolve) => {
    if (!process.connected) resolve();
    else process.send?.(message, undefined, {}, () => resolve());
  });

async function main(): Promise<number> {
  const plan = JSON.parse(process.argv[2] ?? '{}') as XdsArmPlan;
  const stop = new AbortController();
  process.on('message', (message: XdsArmRequest) => {
    if (message.type === 'stop') stop.abort();
  });
  // The bench is gone (killed, or aborted at once): nothing would read the result, so end now.
  process.on('disconnect', () => process.exit(1));
  await report({ type: 'ready' });
  let lastSentAt = 0;
  try {
    const result = await runXdsSend({
      ...plan,
      stop: stop.signal,
      onProgress: (done, total, failed) => {
        const now = performance.now();
        if (now - lastSentAt < PROGRESS_EVERY_MS && done < total) return;
        lastSentAt = now;
        void report({ type: 'progress', done, total, failed });
      },
    });
    await report({ type: 'result', result });
    return 0;
  } catch (error) {
    const lbx = isLbxError(error);
    await report({
      type: 'error',
      code: lbx ? error.code : 'runtime',
      message: lbx ? error.message : `the xds arm failed: ${(error as Error).stack ?? String(error)}`,
      suggestions: lbx ? error.suggestions : [],
    });
    return 1;
  }
}

// process.exit: grpc-js-xds's ADS stream would otherwise keep this process alive after its work is done.
process.exit(await main());
