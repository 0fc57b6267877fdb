// send --workers N: the run's tasks shared by N worker threads, each with its own pick stream, task streams and
// connections, so a second idle core can drive load too. The plan is the one a single sender would send (same seed,
// same order); worker w sends the tasks whose index is w modulo N, at its share of the concurrency. Each forwards its
// ledger entries here (ledger-events.ts), where one RunLedger counts every task once, with exact percentiles.
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';

import { LbxError } from '../../core/lbx-error.js';
import { RunLedger } from '../../core/stats/run-ledger.js';
import { applyLedgerEvent, type LedgerEvent } from './ledger-events.js';
import type { SendOptions, SendResult } from './send-options.js';

/** What a worker is started with: the run's options that survive a structured clone, and its share. */
export type SendWorkerStart = Omit<SendOptions, 'onProgress' | 'stop' | 'random'>;

/** Worker → main: ledger entries so far, then its end (with what only it knows). */
export type SendWorkerReport =
  | { readonly type: 'events'; readonly events: LedgerEvent[] }
  | { readonly type: 'done'; readonly policy: string; readonly lbWaits: number; readonly sent: number }
  | { readonly type: 'failed'; readonly message: string };

/** Main → worker: wind down as on the first Ctrl-C (no new task; those in flight end with their current attempt). */
export type SendWorkerRequest = { readonly type: 'stop' };

export const MAX_SEND_WORKERS = 16;

interface WorkerEnd {
  readonly policy: string;
  readonly lbWaits: number;
  readonly sent: number;
}

export async function runSendInWorkers(options: SendOptions): Promise<SendResult> {
  const count = options.workers ?? 1;
  if (count > options.concurrency)
    throw new LbxError('usage', `--workers ${count} is more than --concurrency ${options.concurrency}: each worker needs at least one task in flight`);
  const ledger = new RunLedger();
  const planned = options.simple + options.heavy;
  const clientId = `lbx-send-${process.pid}-${randomUUID().slice(0, 8)}`;
  let ended = 0;
  const onEvents = (events: readonly LedgerEvent[]): void => {
    for (const event of events) if (applyLedgerEvent(ledger, event)) ended += 1;
    options.onProgress?.(ended, planned, ledger.failedCount);
  };
  const startedAtUnixMs = Date.now();
  const startedAt = performance.now();
  const { onProgress: _progress, stop, random: _random, ...cloneable } = options;
  const workers = Array.from({ length: count }, (_, index) =>
    startWorker({ ...cloneable, workers: 1, concurrency: shareOf(options.concurrency, count, index), workerSlice: { index, count } }),
  );
  const stopAll = (): void => {
    for (const { worker } of workers) worker.postMessage({ type: 'stop' } satisfies SendWorkerRequest);
  };
  stop?.addEventListener('abort', stopAll, { once: true });
  try {
    const ends = await Promise.all(workers.map(({ done }) => done(onEvents)));
    const summary = ledger.summary(performance.now() - startedAt);
    const sent = ends.reduce((total, end) => total + end.sent, 0);
    // Each worker's tasks must each have ended exactly once, here as there.
    if (summary.sent !== sent) throw new LbxError('runtime', `accounting error: ${sent} tasks started in ${count} workers but ${summary.sent} recorded`);
    return {
      id: `${startedAtUnixMs}-${clientId.slice(-8)}`,
      clientId,
      target: options.target,
      policy: ends.find((end) => end.policy !== '')?.policy ?? '',
      seed: options.seed,
      startedAtUnixMs,
      finishedAtUnixMs: Date.now(),
      summary,
      lbWaits: ends.reduce((total, end) => total + end.lbWaits, 0),
      planned,
      ...(sent < planned ? { interrupted: true } : {}),
    };
  } finally {
    stop?.removeEventListener('abort', stopAll);
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }
}

/** Worker `index`'s share of `total` (in-flight tasks): as even as it gets, the first ones taking the remainder. */
export const shareOf = (total: number, count: number, index: number): number => Math.floor(total / count) + (index < total % count ? 1 : 0);

function startWorker(start: SendWorkerStart): { worker: Worker; done: (onEvents: (events: readonly LedgerEvent[]) => void) => Promise<WorkerEnd> } {
  const worker = new Worker(new URL('./send-worker.js', import.meta.url), { workerData: start });
  const done = (onEvents: (events: readonly LedgerEvent[]) => void): Promise<WorkerEnd> =>
    new Promise((resolve, reject) => {
      worker.on('message', (report: SendWorkerReport) => {
        if (report.type === 'events') onEvents(report.events);
        else if (report.type === 'done') resolve(report);
        else reject(new LbxError('runtime', `send worker ${start.workerSlice?.index ?? 0} failed: ${report.message}`));
      });
      worker.once('error', (error) => reject(new LbxError('runtime', `send worker ${start.workerSlice?.index ?? 0} failed: ${error.message}`)));
      worker.once('exit', (code) => reject(new LbxError('runtime', `send worker ${start.workerSlice?.index ?? 0} exited (code ${code}) before it reported its end`)));
    });
  return { worker, done };
}
