// Gathers what one event-loop turn queues and hands it on at once, in chunks. On a stream a message costs far more
// than an entry in it, so the task stream, the pick stream and the backend's answers send a turn's entries as a few
// messages instead of one each; the chunk bound keeps every message under the receiver's per-message limit.
//
// `turns` above 1 holds the entries over that many turns in all: each later turn polls for I/O first, so what arrives
// in the meantime (answers from another backend, which start picks of their own) joins the same message.

/**
 * Queues entries; at the end of the `turns`-th turn from the one that queued the first one (1: that same turn),
 * `deliver` gets them all, in chunks of at most `maxPerChunk`.
 */
export class TurnBatcher<T> {
  private queued: T[] = [];

  constructor(
    private readonly maxPerChunk: number,
    private readonly deliver: (chunks: T[][]) => void,
    private readonly turns = 1,
  ) {}

  /** Entries waiting to go out. */
  get size(): number {
    return this.queued.length;
  }

  push(entry: T): void {
    this.queued.push(entry);
    if (this.queued.length === 1) setImmediate(() => this.flushAfter(this.turns));
  }

  /** Forgets what is queued: its stream failed and took the entries' work with it. */
  discard(): void {
    this.queued = [];
  }

  private flushAfter(turns: number): void {
    if (turns > 1) setImmediate(() => this.flushAfter(turns - 1));
    else this.flush();
  }

  private flush(): void {
    // Discarded since (and perhaps queued again, with a flush of their own on the way).
    if (this.queued.length === 0) return;
    const entries = this.queued;
    this.queued = [];
    const chunks: T[][] = [];
    for (let start = 0; start < entries.length; start += this.maxPerChunk) chunks.push(entries.slice(start, start + this.maxPerChunk));
    this.deliver(chunks);
  }
}
