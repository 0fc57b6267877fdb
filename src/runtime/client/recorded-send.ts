// One `lbx send` run from start to its saved record: marked in progress, sent, saved (a full disk costs the record, never the summary).
import { withIdleBackends } from '../../core/stats/run-ledger.js';
import { describeError } from '../process/wait-for.js';
import { markRunInProgress, RUN_SCHEMA_VERSION, saveRun, type SavedRun } from '../cluster/run-store.js';
import { askLbPolicy } from './ask-lb-policy.js';
import type { SendDestination } from './send-destination.js';
import { runSend, type SendOptions } from './send-run.js';
import { runXdsSend } from './xds-send-run.js';

export interface RecordedSend {
  readonly run: SavedRun;
  /** Where the run was saved; undefined when it was not (no local cluster, or the save failed). */
  readonly savedTo?: string;
  /** Why the run could not be saved (ENOSPC on a full disk, …); undefined when it was, or was not meant to be. */
  readonly saveError?: string;
}

/** Sends, then saves the run where the destination keeps runs; every outcome of the save is reported, none thrown. */
/** Who balances the run: lbx's look-aside picks (or its proxy), or a stock gRPC client following the LB's xDS at `xdsAddress`. */
export type SendClient = { readonly kind: 'lbx' } | { readonly kind: 'xds'; readonly xdsAddress: string };

export async function sendAndRecord(destination: SendDestination, options: Omit<SendOptions, 'target' | 'registry'>, client: SendClient = { kind: 'lbx' }): Promise<RecordedSend> {
  const { paths } = destination;
  const unmark = paths ? await markRunInProgress(paths, 'send') : async () => undefined;
  try {
    const result =
      client.kind === 'xds'
        ? await runXdsSend({ ...options, xdsAddress: client.xdsAddress })
        : await runSend({
            ...options,
            target: { kind: destination.mode === 'proxy' ? 'proxy' : 'lb', address: destination.lbAddress },
            registry: destination.registry,
          });
    // Through a proxy the client never sees a pick; the policy is the cluster's at send time (or the LB's own word).
    const policy = result.policy || destination.policy || (await askLbPolicy(destination.lbAddress)) || 'unknown';
    const run: SavedRun = {
      schemaVersion: RUN_SCHEMA_VERSION,
      ...result,
      // Backends no request reached are in the figures too (share 0), or a skew would look even.
      summary: withIdleBackends(result.summary, destination.backendAddresses),
      policy,
      mode: destination.mode,
      source: 'send',
      request: { simple: options.simple, heavy: options.heavy, concurrency: options.concurrency, timeoutMs: options.timeoutMs },
    };
    if (paths === undefined) return { run };
    try {
      return { run, savedTo: await saveRun(paths, run) };
    } catch (error) {
      return { run, saveError: describeError(error) };
    }
  } finally {
    await unmark();
  }
}
