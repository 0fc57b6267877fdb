// Bounds a promise in time, since uvu has no per-test timeout: the test fails with a message naming what hung.
import { slackMs } from './load-slack.js';

/** `ms` is the bound on an idle machine; it stretches with the machine's load (load-slack.ts), so a busy machine is not a hang. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const boundMs = slackMs(ms);
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${boundMs} ms${boundMs === ms ? '' : ` (${ms} ms stretched for the machine's load)`}`)), boundMs);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
