// Reading component log files: which exist, and the last lines of one (read from its end, so a long log costs little).
import { promises as fs } from 'node:fs';

import { compareComponents } from './log-multiplex.js';

const LOG_SUFFIX = '.log';
const TAIL_CHUNK_BYTES = 64 * 1024;

/** Component names with a log in `logsDir`, in display order; undefined when the directory does not exist. */
export async function listLogComponents(logsDir: string): Promise<string[] | undefined> {
  let entries: string[];
  try {
    entries = await fs.readdir(logsDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return entries
    .filter((entry) => entry.endsWith(LOG_SUFFIX) && entry.length > LOG_SUFFIX.length)
    .map((entry) => entry.slice(0, -LOG_SUFFIX.length))
    .sort(compareComponents);
}

export interface LogTail {
  /** The last complete lines, oldest first, at most the number asked for. */
  readonly lines: readonly string[];
  /** A last line still being written (no newline yet); '' when none. */
  readonly partial: string;
  /** Offset just after the last newline: where following picks up, the partial line included. */
  readonly endOffset: number;
}

/** The last `count` complete lines of `file`, reading backwards in chunks until enough newlines are seen. */
export async function readLastLines(file: string, count: number): Promise<LogTail> {
  const handle = await fs.open(file, 'r');
  try {
    const { size } = await handle.stat();
    let start = size;
    // Chunks are joined before decoding, so a UTF-8 character split across two chunks stays whole.
    const chunks: Buffer[] = [];
    let newlines = 0;
    // count + 1 newlines: the one ending the line before the first wanted line bounds it.
    while (start > 0 && newlines <= count) {
      const length = Math.min(TAIL_CHUNK_BYTES, start);
      start -= length;
      const buffer = Buffer.alloc(length);
      await handle.read(buffer, 0, length, start);
      chunks.unshift(buffer);
      newlines += countNewlineBytes(buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const lastNewline = text.lastIndexOf('\n');
    const complete = lastNewline < 0 ? '' : text.slice(0, lastNewline);
    const partial = text.slice(lastNewline + 1);
    const endOffset = size - Buffer.byteLength(partial, 'utf8');
    const lines = complete === '' && lastNewline < 0 ? [] : complete.split('\n');
    return { lines: count === 0 ? [] : lines.slice(-count), partial, endOffset };
  } finally {
    await handle.close();
  }
}

const NEWLINE = 0x0a;

const countNewlineBytes = (buffer: Buffer): number => {
  let newlines = 0;
  for (let index = buffer.indexOf(NEWLINE); index >= 0; index = buffer.indexOf(NEWLINE, index + 1)) newlines += 1;
  return newlines;
};
