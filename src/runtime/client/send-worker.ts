// One send worker thread (send --workers): its share of the run's tasks, its ledger entries forwarded in batches.
import { parentPort, workerData } from 'node:worker_threads';

import { ForwardingRunLedger } from './ledger-events.js';
import { runSend } from './send-run.js';
import type { SendWorkerReport, SendWorkerRequest, SendWorkerStart } from './send-workers.js';

/** Entries go to the main thread this often (and all at the end): progress stays live, messages stay few. */
const FORWARD_INTERVAL_MS = 50;

const port = parentPort;
if (port === null) throw new Error('send-worker runs only as a worker thread of lbx send --workers');
const start = workerData as SendWorkerStart;
const ledger = new ForwardingRunLedger();
const stop = new AbortController();
const report = (message: SendWorkerReport): void => port.postMessage(message);
const forward = (): void => {
  const events = ledger.takeEvents();
  if (events.length > 0) report({ type: 'events', events });
};
port.on('message', (request: SendWorkerRequest) => {
  if (request.type === 'stop') stop.abort();
});
const timer = setInterval(forward, FORWARD_INTERVAL_MS);
try {
  const result = await runSend({ ...start, stop: stop.signal }, ledger);
  forward();
  report({ type: 'done', policy: result.policy, lbWaits: result.lbWaits, sent: result.summary.sent });
} catch (error) {
  forward();
  report({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
} finally {
  clearInterval(timer);
  port.close();
}
