// The end of `lbx send`: the summary line, the tables, what could not be saved, the threshold verdict and the exit code.
import { computeImbalance, type ThresholdOutcome, type Thresholds } from '../core/thresholds.js';
import type { RecordedSend } from '../runtime/client/recorded-send.js';
import type { SavedRun } from '../runtime/cluster/run-store.js';
import type { Progress } from './spinner.js';
import { renderSendRun } from './render-run.js';
import { concludeRun } from './workload-flags.js';

/** What `send --json` prints: the run as saved, versioned (docs/json-schema.md), with the threshold checks when any were given. */
export type SendJson = SavedRun & { readonly schema: 'lbx.send/v1'; readonly thresholds?: ThresholdOutcome; readonly saveError?: string };

/** Where the outcome is written: stdout (data) and stderr (messages), as the command's own log functions. */
export interface CommandOutput {
  log(line: string): void;
  logToStderr(line: string): void;
}

/**
 * Prints a finished (or interrupted) send and sets the exit code: 1 on failed tasks or an unsaved
 * run, 5 on a failed threshold, 130/143 when a signal cut it short (that wins: the user asked). Returns what --json prints.
 */
export function concludeSend(
  recorded: RecordedSend,
  context: { progress: Progress; out: CommandOutput; json: boolean; thresholds: Thresholds; runsDir?: string; interruptExitCode?: number },
): SendJson {
  const { run, saveError } = recorded;
  const { progress, out, json } = context;
  const { summary } = run;
  const how = run.target.kind === 'xds' ? `a stock xDS client, policy ${run.policy} as pushed by ${run.target.address}` : `${run.mode} mode, policy ${run.policy}`;
  const line = `${summary.ok}/${summary.sent} ok (${how}), ${summary.failed} failed${run.interrupted ? `, interrupted after ${summary.sent} of ${run.planned}` : ''}`;
  if (summary.failed > 0 || run.interrupted) progress.fail(line);
  else progress.succeed(line);
  if (!json) out.log(renderSendRun(run));
  if (saveError !== undefined) out.logToStderr(`error: run ${run.id} could not be saved in ${context.runsDir}: ${saveError}; its figures are above`);
  else if (context.runsDir === undefined && !json)
    out.logToStderr(`note: run ${run.id} not saved: a cluster found through --registry-addr has no local directory (use --json to keep it)`);
  if (summary.failed > 0 && !json) out.logToStderr(`error: ${summary.failed} of ${summary.sent} tasks failed`);

  const { outcome, verdict } = concludeRun(context.thresholds, [{ summary, imbalance: computeImbalance(summary) }], summary.failed);
  if (verdict && !verdict.passed) out.logToStderr(verdict.text);
  else if (verdict && !json) out.log(verdict.text);
  if (saveError !== undefined && !process.exitCode) process.exitCode = 1;
  if (context.interruptExitCode !== undefined) process.exitCode = context.interruptExitCode;
  return { schema: 'lbx.send/v1', ...run, ...(outcome ? { thresholds: outcome } : {}), ...(saveError === undefined ? {} : { saveError }) };
}
