// The end of `lbx bench`: the closing progress line, the thresholds, the HTML file, the tables, and the exit code.
import { writeFile } from 'node:fs/promises';

import type { Thresholds } from '../core/thresholds.js';
import type { BenchResult } from '../runtime/bench/bench-result.js';
import { shouldColor } from './bars.js';
import { comparesClients, comparesProxies, renderBenchResult } from './render-bench.js';
import type { CommandOutput } from './send-outcome.js';
import type { Progress } from './spinner.js';
import { concludeRun } from './workload-flags.js';

export interface BenchEnding {
  readonly progress: Progress;
  readonly out: CommandOutput;
  readonly json: boolean;
  readonly thresholds: Thresholds;
  readonly keys?: number;
  readonly html?: string;
  readonly renderHtml?: (result: BenchResult) => string;
  /** 130/143 when a signal cut the bench short: that exit code wins. */
  readonly interruptExitCode?: number;
}

/** Prints what the bench measured, writes --html, and sets the exit code (1 failed tasks, 5 thresholds, 130/143 interrupted). */
export async function concludeBench(measured: BenchResult, ending: BenchEnding): Promise<BenchResult> {
  const { workload } = measured;
  const failedTasks = measured.policies.reduce((sum, entry) => sum + entry.summary.failed, 0);
  const withClients = comparesClients(measured);
  const count = measured.policies.length;
  const arms = comparesProxies(measured) ? ' (policy × data plane)' : withClients ? ' (policy × client)' : undefined;
  const runs = arms === undefined ? `${count} policies` : `${count} run${count === 1 ? '' : 's'}${arms}`;
  const line = `${runs} × ${workload.simple + workload.heavy} tasks, seed ${workload.seed}${failedTasks > 0 ? `, ${failedTasks} tasks failed` : ''}`;
  if (measured.interrupted) ending.progress.fail(`bench interrupted: ${line}`);
  else ending.progress.succeed(`bench done: ${line}`);

  const { outcome, verdict } = concludeRun(
    ending.thresholds,
    // The client names a check only when clients were compared: a plain bench's verdicts read as they always have.
    measured.policies.map(({ policy, client, proxy, summary, imbalance }) => ({
      policy,
      summary,
      imbalance,
      ...(withClients ? { client } : {}),
      ...(comparesProxies(measured) && proxy !== undefined ? { proxy } : {}),
    })),
    failedTasks,
  );
  const result: BenchResult = { ...measured, ...(outcome ? { thresholds: outcome } : {}) };
  if (ending.renderHtml && ending.html !== undefined) await writeFile(ending.html, ending.renderHtml(result));
  if (!ending.json) ending.out.log(renderBenchResult(result, { color: shouldColor(process.stdout, process.env), keys: ending.keys, html: ending.html }));
  if (verdict && !verdict.passed) ending.out.logToStderr(verdict.text);
  else if (verdict && !ending.json) ending.out.log(`\n${verdict.text}`);
  if (ending.interruptExitCode !== undefined) process.exitCode = ending.interruptExitCode;
  return result;
}
