// Gathers what one event-loop turn queues and hands it on at once, in chunks. On a stream a message costs far more
// than an entry in it, so the task stream, the pick stream and the backend's answers send a turn's entries as a few
// messages instead of one each; the chunk bound keeps every message under the receiver's per-message limit.

/** Queues entries; at the end of the turn that queued the first one, `deliver` gets them all, in chunks of at most `maxPerChunk`. */
export class TurnBatcher<T> {
  private queued: T[] = [];

  constructor(
    private readonly maxPerChunk: number,
    private readonly deliver: (chunks: T[][]) => void,
  ) {}

  /** Entries waiting for the end of the turn. */
  get size(): number {
    return this.queued.length;
  }

  push(entry: T): void {
    this.queued.push(entry);
    if (this.queued.length === 1) setImmediate(() => this.flush());
  }

  /** Forgets what is queued: its stream failed and took the entries' work with it. */
  discard(): void {
    this.queued = [];
  }

  private flush(): void {
    const entries = this.queued;
    this.queued = [];
    const chunks: T[][] = [];
    for (let start = 0; start < entries.length; start += this.maxPerChunk) chunks.push(entries.slice(start, start + this.maxPerChunk));
    this.deliver(chunks);
  }
}
