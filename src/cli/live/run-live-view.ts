// The live view's loop: sample, render (full screen on a terminal, plain lines otherwise), wait, until q, a signal or --count.
import { LbxError } from '../../core/lbx-error.js';
import { setTimeout as sleep } from 'node:timers/promises';

import type { ClusterFile } from '../../runtime/cluster/cluster-file.js';
import { toLiveSnapshot, type LiveSample, type LiveSnapshot } from '../../core/live/live-snapshot.js';
import { renderLivePlain, renderLiveScreen } from './render-live-view.js';
import { createClusterSampler } from '../../runtime/live/sample-cluster.js';
import { TerminalScreen } from './terminal-screen.js';

/** screen: the alternate screen, redrawn in place · plain: key=value lines per refresh · json: silent, snapshots returned. */
export type LiveOutput = 'screen' | 'plain' | 'json';

export interface LiveViewOptions {
  readonly intervalMs: number;
  /** Refreshes to show; undefined = until stopped. */
  readonly count?: number;
  readonly title: string;
  readonly json: boolean;
}

export interface LiveViewResult {
  readonly output: LiveOutput;
  readonly refreshes: number;
  /** Every refresh's snapshot with --json; otherwise the last one only. */
  readonly snapshots: readonly LiveSnapshot[];
}

/** A full screen needs a terminal on stdout; q needs one on stdin too (without, Ctrl-C still quits by signal). */
export function chooseLiveOutput(json: boolean, stdout: NodeJS.WriteStream): LiveOutput {
  if (json) return 'json';
  return stdout.isTTY ? 'screen' : 'plain';
}

export async function runLiveView(
  cluster: ClusterFile,
  options: LiveViewOptions,
  io: { readonly stdin: NodeJS.ReadStream; readonly stdout: NodeJS.WriteStream } = { stdin: process.stdin, stdout: process.stdout },
): Promise<LiveViewResult> {
  // --json prints once, at the end: without a count it would hold every snapshot for as long as it ran.
  if (options.json && options.count === undefined) throw new LbxError('usage', '--json needs --count N: the live view prints its snapshots as one document once it has taken N');
  const output = chooseLiveOutput(options.json, io.stdout);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const color = output === 'screen' && !process.env.NO_COLOR;
  const screen = output === 'screen' ? new TerminalScreen(io.stdin, io.stdout, onSignal) : undefined;
  const sampler = createClusterSampler(cluster);
  const snapshots: LiveSnapshot[] = [];
  let previous: LiveSample | undefined;
  let refreshes = 0;
  try {
    screen?.open();
    while (!stop.signal.aborted) {
      const sample = await sampler.sample();
      const snapshot = toLiveSnapshot(previous, sample);
      previous = sample;
      refreshes += 1;
      if (output === 'json') snapshots.push(snapshot);
      else snapshots.splice(0, snapshots.length, snapshot);
      if (screen) screen.draw(renderLiveScreen(snapshot, { color, intervalMs: options.intervalMs, title: options.title }));
      else if (output === 'plain')
        io.stdout.write(
          renderLivePlain(snapshot)
            .map((line) => `${line}\n`)
            .join(''),
        );
      if (options.count !== undefined && refreshes >= options.count) break;
      await sleep(options.intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    screen?.restore();
    sampler.close();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return { output, refreshes, snapshots };
}
