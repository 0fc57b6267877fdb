// A backend's served counts, kept in a 16-byte file so they survive a crash and carry on after a restart.
//
// `lbx report` checks that what clients got an ok for equals what each backend says it served.
// Counts held only in memory die with a SIGKILLed backend, and a respawned one would start
// again from zero, so neither the dead nor the new process could be checked. Each count is
// written (one pwrite of 16 bytes, about 2.5 µs here) before the answer leaves the process, so
// the file always holds at least every task a client can have seen succeed. A crash between
// the write and the send loses that answer: the client sees the attempt fail and retries
// elsewhere, so a backend may have served more than clients counted, never fewer, and by no
// more than the clients' failed attempts on it (see reconcile() in run-ledger.ts).
//
// The file is written whole at open, so a file shorter than a record means "not persisted": the
// disk was full. A write that fails truncates the file to say so, rather than leave counts that
// stopped growing and would read as a mismatch; the backend counts on in memory and warns once.
import { closeSync, constants, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface ServedCounts {
  readonly simple: number;
  readonly heavy: number;
}

const RECORD_BYTES = 16;

/** Where the backend with this id keeps its counts inside a cluster directory. */
export const servedCountsFile = (clusterDir: string, backendId: string): string => path.join(clusterDir, 'served', `${backendId}.bin`);

/** Reads the counts a backend left in `file`: undefined when there is none, 'not-persisted' when it is short (a full disk). */
export function readPersistedCounts(file: string): ServedCounts | 'not-persisted' | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(RECORD_BYTES);
    const read = readSync(fd, buffer, 0, RECORD_BYTES, 0);
    if (read < RECORD_BYTES) return 'not-persisted';
    return { simple: Number(buffer.readBigUInt64LE(0)), heavy: Number(buffer.readBigUInt64LE(8)) };
  } finally {
    closeSync(fd);
  }
}

/** The counts in `file`; zeros when there is no complete file. */
export function readServedCounts(file: string): ServedCounts {
  const counts = readPersistedCounts(file);
  return typeof counts === 'object' ? counts : { simple: 0, heavy: 0 };
}

export class DurableServedCounts {
  private readonly buffer = Buffer.alloc(RECORD_BYTES);
  private counts: { simple: number; heavy: number };
  private isPersisting = true;

  private constructor(
    private readonly fd: number,
    initial: ServedCounts,
    private readonly onPersistFailed: (message: string) => void,
  ) {
    this.counts = { ...initial };
    this.writeThrough();
  }

  /**
   * Opens (or creates) the file and continues from the counts already in it. `onPersistFailed`
   * hears once when the counts can no longer be written (the backend goes on counting in memory).
   */
  static open(file: string, onPersistFailed: (message: string) => void = () => undefined): DurableServedCounts {
    mkdirSync(path.dirname(file), { recursive: true });
    const initial = readServedCounts(file);
    // Read-write, created if absent, never truncated ('a' would make every write an append on Linux).
    return new DurableServedCounts(openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600), initial, (message) => onPersistFailed(`${file}: ${message}`));
  }

  /** False once a write failed: the file then says "not persisted" and `lbx report` does not check this backend against it. */
  get isPersisted(): boolean {
    return this.isPersisting;
  }

  get current(): ServedCounts {
    return this.counts;
  }

  /** Counts one served task and writes the counts through, synchronously. */
  served(kind: 'SIMPLE' | 'CPU_HEAVY'): void {
    if (kind === 'SIMPLE') this.counts.simple += 1;
    else this.counts.heavy += 1;
    this.writeThrough();
  }

  private writeThrough(): void {
    if (!this.isPersisting) return;
    this.buffer.writeBigUInt64LE(BigInt(this.counts.simple), 0);
    this.buffer.writeBigUInt64LE(BigInt(this.counts.heavy), 8);
    try {
      writeSync(this.fd, this.buffer, 0, RECORD_BYTES, 0);
    } catch (error) {
      this.isPersisting = false;
      // Truncating needs no free space: the short file tells `lbx report` these counts were not kept.
      try {
        ftruncateSync(this.fd, 0);
      } catch {
        // The file stays as it was; the warning below still says so.
      }
      this.onPersistFailed(`served counts no longer persisted (${(error as NodeJS.ErrnoException).code ?? String(error)}); counting in memory only`);
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}
