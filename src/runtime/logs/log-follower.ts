// Follows component logs as they grow (`lbx logs -f`): polls sizes, reads what was appended, picks up files that appear later.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';

import { listLogComponents } from './log-files.js';
import { mergeLogLines, parseLogLine, type LogLine } from './log-multiplex.js';

/**
 * Polling rather than fs.watch: watch events are coalesced or missing on some file systems
 * (overlay, NFS) and a rename-replace loses the watch; a stat per file every 250 ms is cheap.
 */
export const DEFAULT_FOLLOW_POLL_MS = 250;
/** At most this much of a file is read per poll, so one runaway log cannot hold the others back. */
const MAX_READ_BYTES_PER_POLL = 1024 * 1024;

/** stopped: the signal fired · gone: the cluster's log directory went away (`lbx down`). */
export type FollowEnd = 'stopped' | 'gone';

export interface FollowOptions {
  readonly logsDir: string;
  /** Which components to follow; checked for files that appear later too. */
  readonly select: (component: string) => boolean;
  /** Where each known file is read up to; a component missing here is new and read from its start. */
  readonly offsets: ReadonlyMap<string, number>;
  readonly pollMs?: number;
  readonly signal: AbortSignal;
  /** New complete lines of one poll, merged by time stamp when all have one. */
  readonly onLines: (lines: readonly LogLine[]) => void;
  /** A component whose log appeared after following began. */
  readonly onComponent?: (component: string) => void;
}

export async function followLogs(options: FollowOptions): Promise<FollowEnd> {
  const offsets = new Map(options.offsets);
  const partials = new Map<string, string>();
  // One decoder per file: a UTF-8 character split between two reads is held back, not garbled.
  const decoders = new Map<string, StringDecoder>();
  const pollMs = options.pollMs ?? DEFAULT_FOLLOW_POLL_MS;
  while (!options.signal.aborted) {
    await sleep(pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal.aborted) break;
    const components = await listLogComponents(options.logsDir);
    if (components === undefined) return 'gone';
    const groups: LogLine[][] = [];
    for (const component of components.filter(options.select)) {
      if (!offsets.has(component)) {
        offsets.set(component, 0);
        options.onComponent?.(component);
      }
      let decoder = decoders.get(component);
      if (decoder === undefined) {
        decoder = new StringDecoder('utf8');
        decoders.set(component, decoder);
      }
      const text = await readAppended(path.join(options.logsDir, `${component}.log`), offsets, component, decoder);
      if (text === '') continue;
      const pending = (partials.get(component) ?? '') + text;
      const lastNewline = pending.lastIndexOf('\n');
      partials.set(component, pending.slice(lastNewline + 1));
      if (lastNewline < 0) continue;
      groups.push(
        pending
          .slice(0, lastNewline)
          .split('\n')
          .map((line) => parseLogLine(component, line)),
      );
    }
    const lines = mergeLogLines(groups);
    if (lines.length > 0) options.onLines(lines);
  }
  return 'stopped';
}

/** followLogs until SIGINT or SIGTERM (or until the log directory goes): `lbx logs -f`, which ends on either signal with exit 0. */
export async function followLogsUntilSignal(options: Omit<FollowOptions, 'signal'>): Promise<FollowEnd> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await followLogs({ ...options, signal: stop.signal });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** What was appended to `file` since its offset (from 0 again when it shrank: truncated or replaced); '' when nothing or it vanished. */
async function readAppended(file: string, offsets: Map<string, number>, component: string, decoder: StringDecoder): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    let offset = offsets.get(component) ?? 0;
    if (size < offset) offset = 0;
    if (size === offset) return '';
    const length = Math.min(size - offset, MAX_READ_BYTES_PER_POLL);
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, offset);
    offsets.set(component, offset + bytesRead);
    return decoder.write(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
