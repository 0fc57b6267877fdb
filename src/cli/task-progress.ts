// Progress of a long task run (send, each policy of bench): done/total, rate, elapsed, failures and ETA, redrawn at most every 100 ms.
import { formatCount, formatDuration, formatRate } from './format.js';
import type { BenchEvent } from '../runtime/bench/run-bench.js';
import type { Progress } from './spinner.js';

/** Progress text is redrawn at most this often (a terminal); plain output prints a heartbeat line instead (see spinner.ts). */
const PROGRESS_REDRAW_MS = 100;

/** "1,234/5,000 (24.7%) · 812/s · 1s elapsed · ETA 4s · 3 failed" */
export function describeTaskProgress(done: number, total: number, failed: number, elapsedMs: number): string {
  const percent = total > 0 ? ((done / total) * 100).toFixed(1) : '0.0';
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1_000 : 0;
  const eta = rate > 0 && done < total ? ` · ETA ${formatDuration(((total - done) / rate) * 1_000)}` : '';
  return `${formatCount(done)}/${formatCount(total)} (${percent}%) · ${formatRate(rate)} · ${formatDuration(elapsedMs)} elapsed${eta} · ${formatCount(failed)} failed`;
}

/** An onProgress callback for runSend that shows `prefix: <progress>` without redrawing more than the terminal needs. */
export function trackTaskProgress(progress: Progress, prefix: string): (done: number, total: number, failed: number) => void {
  const startedAt = performance.now();
  let lastShownAt = 0;
  return (done, total, failed) => {
    const now = performance.now();
    if (now - lastShownAt < PROGRESS_REDRAW_MS && done < total) return;
    lastShownAt = now;
    progress.update(`${prefix}: ${describeTaskProgress(done, total, failed, now - startedAt)}`);
  };
}

/** Bench events as progress: one line per arm ("[2/7] least_load: …", "[2/4] round_robin via xds: …" when clients are compared), and a warning when an arm's run could not be saved. */
export function showBenchProgress(progress: Progress, out: { logToStderr(line: string): void }, options: { withClients?: boolean } = {}): (event: BenchEvent) => void {
  const name = (event: { policy: string; client: string }): string => (options.withClients ? `${event.policy} via ${event.client}` : event.policy);
  let track = trackTaskProgress(progress, '');
  return (event) => {
    if (event.type === 'save-failed') out.logToStderr(`warning: the ${name(event)} run could not be saved for lbx report: ${event.error}`);
    if (event.type === 'policy-start') track = trackTaskProgress(progress, `[${event.index + 1}/${event.count}] ${name(event)}`);
    if (event.type === 'progress') track(event.done, event.total, event.failed);
  };
}
