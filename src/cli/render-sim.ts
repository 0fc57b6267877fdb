// Tables for `lbx sim`: bench's own comparison and split (so a simulated and a real run read alike), then what only a simulation knows.
import type { BenchResult } from '../runtime/bench/bench-result.js';
import type { SimResult } from '../runtime/sim/sim-result.js';
import { formatCount, formatMs, formatPercent, formatRate } from './format.js';
import { renderBenchComparison, renderBenchDistribution } from './render-bench.js';
import { renderTable } from './table.js';

/** A simulation in the shape of lbx.bench/v1, for bench's renderers: the "cluster" is the model, each policy's client lbx. */
export function simAsBench(result: SimResult): BenchResult {
  const { model } = result;
  return {
    schema: 'lbx.bench/v1',
    cluster: {
      name: 'simulated',
      backends: model.backends,
      mode: model.mode === 'proxy' ? 'proxy' : 'lookaside',
      registry: 'none',
      ...(model.speeds ? { speeds: model.speeds } : {}),
    },
    workload: {
      simple: Math.round(model.requests * model.simpleShare),
      heavy: model.requests - Math.round(model.requests * model.simpleShare),
      concurrency: model.concurrency ?? 0,
      seed: model.seed,
    },
    startedAtUnixMs: result.startedAtUnixMs,
    policies: result.policies.map((entry) => ({ policy: entry.policy, client: 'lbx' as const, summary: entry.summary, imbalance: entry.imbalance })),
  };
}

/** The model in one line: what was simulated. */
export function describeModel(result: SimResult): string {
  const { model } = result;
  const arrival =
    model.concurrency !== undefined
      ? `${model.arrival}, ${model.concurrency} in flight`
      : `${model.arrival} at ${formatRate(model.ratePerSec ?? 0)} (load ${(model.load ?? 0).toFixed(3)})`;
  const speeds = `${model.speeds ? `, speeds ${model.speeds.join(',')}` : ''}${model.cores === undefined ? '' : ` sharing ${model.cores} core${model.cores === 1 ? '' : 's'}`}`;
  const subset = model.mode === 'client' ? `, subset ${model.subset}, updates every ${model.updateIntervalMs} ms` : '';
  const simple = model.simpleShare > 0 ? `, ${formatPercent(model.simpleShare)} SIMPLE` : '';
  return `simulated: ${formatCount(model.backends)} backends${speeds}, ${formatCount(model.clients)} client${model.clients === 1 ? '' : 's'}, ${model.mode} mode${subset}    workload: ${formatCount(model.requests)} requests, ${arrival}, service ${model.service} (mean ${formatMs(model.serviceMeanMs)} ms)${simple}, seed ${model.seed}${model.warmupRequests > 0 ? `, first ${formatCount(model.warmupRequests)} left out` : ''}`;
}

/** Per policy: the exact mean, utilisation, clients per backend (client mode), how it picked, and the simulator's own speed. */
export function renderSimDetails(result: SimResult): string {
  const withConnections = result.policies.some((entry) => entry.connections !== undefined);
  return renderTable(
    ['POLICY', 'MEAN MS', 'UTILISATION', ...(withConnections ? ['CLIENTS/BACKEND'] : []), 'PICKS BY', 'WALL S', 'SIMULATED/S'],
    result.policies.map((entry) => [
      entry.policy,
      formatMs(entry.meanLatencyMs),
      formatPercent(entry.utilisation),
      ...(withConnections ? [entry.connections ? `${entry.connections.min}–${entry.connections.max} (mean ${entry.connections.mean.toFixed(1)})` : '—'] : []),
      entry.pickPath === 'balancer' ? 'Balancer' : 'picker (>1,024)',
      (entry.wallMs / 1_000).toFixed(2),
      formatRate(entry.requestsPerWallSec),
    ]),
    ['left', 'right', 'right', ...(withConnections ? (['right'] as const) : []), 'left', 'right', 'right'],
  );
}

/** Everything `lbx sim` prints on stdout. */
export function renderSimResult(result: SimResult, options: { color: boolean; html?: string }): string {
  const bench = simAsBench(result);
  const lines = [describeModel(result), '', renderBenchComparison(bench), '', renderSimDetails(result)];
  const isListed = result.policies.some((entry) => entry.summary.backends.length > 0);
  if (isListed) lines.push('', renderBenchDistribution(bench, { color: options.color }));
  else lines.push('', `(split per backend not listed above ${formatCount(64)} backends; IMBALANCE covers them all)`);
  lines.push('', 'THROUGHPUT and latencies are in simulated time; WALL S and SIMULATED/S are the simulator’s own speed.');
  if (options.html !== undefined) lines.push('', `HTML report: ${options.html}`);
  return lines.join('\n');
}
