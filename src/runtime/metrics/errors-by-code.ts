// RPC answers that were not OK, counted by method and gRPC code: a plain add per answer, read into a prom-client
// counter when it is scraped (the counter's `collect` calls collectInto), so a process that is never scraped need not
// load prom-client at all (see backend-metrics.ts).
import type { Counter } from 'prom-client';

import { grpcCodeName } from './grpc-code-names.js';

interface ErrorCount {
  readonly method: string;
  readonly code: string;
  count: number;
}

export class ErrorsByCode {
  /** By `${method}\0${statusCode}`: one entry per pair ever seen (prom-client would rebuild a label key on every call). */
  private readonly counts = new Map<string, ErrorCount>();

  failed(method: string, statusCode: number | undefined): void {
    const key = `${method}\u0000${statusCode}`;
    const entry = this.counts.get(key);
    if (entry) entry.count += 1;
    else this.counts.set(key, { method, code: grpcCodeName(statusCode), count: 1 });
  }

  /** Sets `counter` to these counts: for its `collect`, where nothing can scrape between the reset and the adds. */
  collectInto(counter: Counter<'method' | 'code'>): void {
    counter.reset();
    for (const { method, code, count } of this.counts.values()) counter.inc({ method, code }, count);
  }
}
