// Samples each backend's load (GetLoad) on an interval while a policy runs: the "load over time" series of a bench.
import { credentials } from '@grpc/grpc-js';

import { CLIENT_CHANNEL_OPTIONS } from '../grpc/channel-options.js';
import { callUnary } from '../grpc/unary.js';
import { BackendClient } from '../wire/gen/lbx/v1/backend.js';
import type { LoadSeries } from './bench-result.js';

export const DEFAULT_SAMPLE_INTERVAL_MS = 250;
/** Points kept per backend: past it every other point is dropped and the interval doubles, so a long run stays small. */
export const MAX_POINTS_PER_BACKEND = 240;
const GET_LOAD_TIMEOUT_MS = 200;

type Point = { atMs: number; inFlight: number; cpuPercent: number };

export interface LoadSampler {
  /** Stops sampling and returns the series, one per address, in the order given. */
  stop(): Promise<LoadSeries[]>;
}

/** Starts sampling `addresses` at once and then every `intervalMs`; a backend that does not answer gets no point for that tick. */
export function startLoadSampler(addresses: readonly string[], intervalMs: number = DEFAULT_SAMPLE_INTERVAL_MS): LoadSampler {
  const startedAt = performance.now();
  const clients = addresses.map((address) => new BackendClient(address, credentials.createInsecure(), CLIENT_CHANNEL_OPTIONS));
  const series: Point[][] = addresses.map(() => []);
  let everyMs = intervalMs;
  let lastTickAt = -Infinity;
  let inFlightTick: Promise<void> = Promise.resolve();
  let stopped = false;

  const tick = async (): Promise<void> => {
    const atMs = Math.round(performance.now() - startedAt);
    if (atMs - lastTickAt < everyMs) return;
    lastTickAt = atMs;
    await Promise.all(
      clients.map(async (client, index) => {
        try {
          const load = await callUnary(client.getLoad.bind(client), {}, GET_LOAD_TIMEOUT_MS);
          series[index]!.push({ atMs, inFlight: load.inFlight, cpuPercent: Math.round(load.cpuPercent * 10) / 10 });
        } catch {
          // Down or slow this tick: a gap in its line, not a zero.
        }
      }),
    );
    if (series.some((points) => points.length > MAX_POINTS_PER_BACKEND)) {
      for (const [index, points] of series.entries()) series[index] = points.filter((_, at) => at % 2 === 0);
      everyMs *= 2;
    }
  };

  const timer = setInterval(() => {
    if (!stopped) inFlightTick = inFlightTick.then(tick);
  }, intervalMs);
  inFlightTick = tick();

  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await inFlightTick;
      for (const client of clients) client.close();
      return addresses.map((address, index) => ({ address, points: series[index]! }));
    },
  };
}
