// Each backend's load reports kept as a bounded time series (a ring buffer per backend), for load-over-time charts.
import { compareAddresses } from '../../core/address-order.js';

/** Ten minutes of reports at the default 500 ms interval. */
export const DEFAULT_POINTS_PER_BACKEND = 1_200;
/** More addresses than any lab cluster has; beyond it the one reported to longest ago is forgotten. */
export const DEFAULT_MAX_BACKENDS = 256;

export interface LoadHistoryPoint {
  readonly atUnixMs: number;
  readonly inFlight: number;
  readonly queueDepth: number;
  readonly cpuPercent: number;
}

export interface BackendLoadHistory {
  readonly address: string;
  /** Oldest first. */
  readonly points: LoadHistoryPoint[];
}

export interface LoadHistoryOptions {
  readonly pointsPerBackend?: number;
  readonly maxBackends?: number;
}

/** A fixed-size ring: once full, each new point overwrites the oldest. */
class PointRing {
  readonly #points: LoadHistoryPoint[] = [];
  #next = 0;

  constructor(private readonly capacity: number) {}

  push(point: LoadHistoryPoint): void {
    if (this.#points.length < this.capacity) this.#points.push(point);
    else this.#points[this.#next] = point;
    this.#next = (this.#next + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): LoadHistoryPoint[] {
    if (this.#points.length < this.capacity) return [...this.#points];
    return [...this.#points.slice(this.#next), ...this.#points.slice(0, this.#next)];
  }

  get lastAtUnixMs(): number {
    return this.#points.length === 0 ? -Infinity : this.#points[(this.#next - 1 + this.capacity) % this.capacity]!.atUnixMs;
  }
}

export class LoadHistory {
  readonly #rings = new Map<string, PointRing>();
  readonly #pointsPerBackend: number;
  readonly #maxBackends: number;

  constructor(options: LoadHistoryOptions = {}) {
    this.#pointsPerBackend = Math.max(1, Math.floor(options.pointsPerBackend ?? DEFAULT_POINTS_PER_BACKEND));
    this.#maxBackends = Math.max(1, Math.floor(options.maxBackends ?? DEFAULT_MAX_BACKENDS));
  }

  /** Adds one report from `address`, received at `atUnixMs`. */
  record(address: string, report: { inFlight: number; queueDepth: number; cpuPercent: number }, atUnixMs: number): void {
    let ring = this.#rings.get(address);
    if (ring === undefined) {
      if (this.#rings.size >= this.#maxBackends) this.#forgetStalest();
      ring = new PointRing(this.#pointsPerBackend);
      this.#rings.set(address, ring);
    }
    ring.push({ atUnixMs, inFlight: report.inFlight, queueDepth: report.queueDepth, cpuPercent: report.cpuPercent });
  }

  /** Every backend's points at or after `sinceUnixMs`, sorted by port; backends with none left out. */
  snapshot(sinceUnixMs = 0): BackendLoadHistory[] {
    return [...this.#rings.entries()]
      .map(([address, ring]) => ({ address, points: ring.toArray().filter((point) => point.atUnixMs >= sinceUnixMs) }))
      .filter((history) => history.points.length > 0)
      .sort((a, b) => compareAddresses(a.address, b.address));
  }

  #forgetStalest(): void {
    let stalest: string | undefined;
    let stalestAt = Infinity;
    for (const [address, ring] of this.#rings) {
      if (ring.lastAtUnixMs < stalestAt) {
        stalest = address;
        stalestAt = ring.lastAtUnixMs;
      }
    }
    if (stalest !== undefined) this.#rings.delete(stalest);
  }
}
