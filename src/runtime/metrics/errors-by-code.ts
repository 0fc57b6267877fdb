// A counter of RPC answers that were not OK, by method and gRPC code, with one cached child per pair.
import type { Counter } from 'prom-client';

import { grpcCodeName } from './grpc-code-names.js';

type CounterChild = ReturnType<Counter<'method' | 'code'>['labels']>;

export class ErrorsByCode {
  /** prom-client rebuilds its label key on every labels() call: the children are kept here instead. */
  private readonly children = new Map<string, CounterChild>();

  constructor(private readonly counter: Counter<'method' | 'code'>) {}

  failed(method: string, statusCode: number | undefined): void {
    const key = `${method}\u0000${statusCode}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.counter.labels(method, grpcCodeName(statusCode));
      this.children.set(key, child);
    }
    child.inc();
  }
}
