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
import { closeSync, constants, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface ServedCounts {
  readonly simple: number;
  readonly heavy: number;
}

const RECORD_BYTES = 16;

/** Where the backend with this id keeps its counts inside a cluster directory. */
export const servedCountsFile = (clusterDir: string, backendId: string): string => path.join(clusterDir, 'served', `${backendId}.bin`);

/** Reads the counts a backend left in `file`; zeros when there is no (complete) file. */
export function readServedCounts(file: string): ServedCounts {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { simple: 0, heavy: 0 };
  }
  try {
    const buffer = Buffer.alloc(RECORD_BYTES);
    const read = readSync(fd, buffer, 0, RECORD_BYTES, 0);
    if (read < RECORD_BYTES) return { simple: 0, heavy: 0 };
    return { simple: Number(buffer.readBigUInt64LE(0)), heavy: Number(buffer.readBigUInt64LE(8)) };
  } finally {
    closeSync(fd);
  }
}

export class DurableServedCounts {
  private readonly buffer = Buffer.alloc(RECORD_BYTES);
  private counts: { simple: number; heavy: number };

  private constructor(
    private readonly fd: number,
    initial: ServedCounts,
  ) {
    this.counts = { ...initial };
  }

  /** Opens (or creates) the file and continues from the counts already in it. */
  static open(file: string): DurableServedCounts {
    mkdirSync(path.dirname(file), { recursive: true });
    const initial = readServedCounts(file);
    // Read-write, created if absent, never truncated ('a' would make every write an append on Linux).
    return new DurableServedCounts(openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600), initial);
  }

  get current(): ServedCounts {
    return this.counts;
  }

  /** Counts one served task and writes the counts through, synchronously. */
  served(kind: 'SIMPLE' | 'CPU_HEAVY'): void {
    if (kind === 'SIMPLE') this.counts.simple += 1;
    else this.counts.heavy += 1;
    this.buffer.writeBigUInt64LE(BigInt(this.counts.simple), 0);
    this.buffer.writeBigUInt64LE(BigInt(this.counts.heavy), 8);
    writeSync(this.fd, this.buffer, 0, RECORD_BYTES, 0);
  }

  close(): void {
    closeSync(this.fd);
  }
}
