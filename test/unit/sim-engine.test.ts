// The simulator's engine: the same seed gives the same run, FIFO order in simulated time, memory bounded by what is in flight.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { resolvePolicy } from '../../src/core/policies/index.js';
import type { SimRunConfig } from '../../src/core/sim/sim-config.js';
import { runSimulation } from '../../src/core/sim/sim-engine.js';

/** Every task takes exactly `ms` on a full-speed backend. */
const constantService = (ms: number) => ({ kind: 'bimodal' as const, fastMs: ms, slowMs: ms, slowShare: 0 });

function config(overrides: Partial<SimRunConfig>): SimRunConfig {
  return {
    backends: 4,
    clients: 1,
    requests: 1_000,
    durationMs: Infinity,
    arrival: { kind: 'poisson', ratePerMs: 3 },
    simpleShare: 0,
    service: { kind: 'exp', meanMs: 1 },
    speeds: [1, 1, 1, 1],
    mode: 'lookaside',
    subset: { kind: 'none' },
    updateIntervalMs: 500,
    policy: resolvePolicy('p2c'),
    policyConfig: {},
    seed: 7,
    warmupRequests: 0,
    ...overrides,
  };
}

const engine = suite('sim engine');

engine('the same seed gives the same run, figure for figure; another seed another', () => {
  for (const mode of ['lookaside', 'proxy', 'client'] as const) {
    const first = runSimulation(config({ mode, clients: 3 }));
    const again = runSimulation(config({ mode, clients: 3 }));
    const other = runSimulation(config({ mode, clients: 3, seed: 8 }));
    assert.equal(again.summary, first.summary, mode);
    assert.is(again.meanLatencyMs, first.meanLatencyMs, mode);
    assert.is.not(other.meanLatencyMs, first.meanLatencyMs, mode);
  }
});

engine('one backend serves in FIFO order: with 3 in flight and 2 ms tasks, latencies 2, 4, 6, then 6 each', () => {
  const outcome = runSimulation(
    config({ backends: 1, speeds: [1], arrival: { kind: 'closed', concurrency: 3 }, requests: 9, service: constantService(2), policy: resolvePolicy('rr') }),
  );
  assert.is(outcome.measured, 9);
  assert.is(outcome.simulatedMs, 18);
  assert.ok(Math.abs(outcome.meanLatencyMs - (2 + 4 + 6 + 6 * 6) / 9) < 1e-9, String(outcome.meanLatencyMs));
  assert.is(outcome.summary.latencyMs.max, 6);
  assert.is(outcome.summary.throughputPerSec, 500);
  assert.is(outcome.utilisation, 1);
});

engine('a backend of speed 0.25 takes four times as long per task', () => {
  const outcome = runSimulation(
    config({ backends: 1, speeds: [0.25], arrival: { kind: 'closed', concurrency: 1 }, requests: 5, service: constantService(2), policy: resolvePolicy('rr') }),
  );
  assert.ok(Math.abs(outcome.meanLatencyMs - 8) < 1e-9, String(outcome.meanLatencyMs));
  assert.is(outcome.simulatedMs, 40);
});

engine('backends sharing cores: 4 busy on 2 cores take twice as long; on 4 cores as long as alone', () => {
  const shape = {
    backends: 4,
    speeds: [1, 1, 1, 1],
    arrival: { kind: 'closed' as const, concurrency: 4 },
    requests: 400,
    service: constantService(2),
    policy: resolvePolicy('rr'),
  };
  const shared = runSimulation(config({ ...shape, cores: 2 }));
  assert.ok(Math.abs(shared.meanLatencyMs - 4) < 1e-9, String(shared.meanLatencyMs));
  assert.ok(Math.abs(shared.summary.throughputPerSec - 1_000) < 1e-6, String(shared.summary.throughputPerSec));
  const own = runSimulation(config({ ...shape, cores: 4 }));
  assert.ok(Math.abs(own.meanLatencyMs - 2) < 1e-9, String(own.meanLatencyMs));
  // One busy backend of two on one core runs at full speed; the second's arrival halves both.
  const one = runSimulation(config({ ...shape, backends: 2, speeds: [1, 1], arrival: { kind: 'closed', concurrency: 1 }, requests: 10, cores: 1 }));
  assert.ok(Math.abs(one.meanLatencyMs - 2) < 1e-9, String(one.meanLatencyMs));
});

engine('round robin over equal backends splits requests evenly; p2c over 3 fast and 1 slow sends the slow one less', () => {
  const rr = runSimulation(config({ policy: resolvePolicy('rr'), arrival: { kind: 'closed', concurrency: 8 }, requests: 4_000 }));
  assert.equal(
    rr.summary.backends.map((backend) => backend.ok),
    [1_000, 1_000, 1_000, 1_000],
  );
  const p2c = runSimulation(config({ speeds: [1, 1, 1, 0.25], arrival: { kind: 'closed', concurrency: 16 }, requests: 4_000 }));
  const slow = p2c.summary.backends.find((backend) => backend.address === 'sim:4');
  assert.ok(slow !== undefined && slow.share < 0.15, `slow share ${slow?.share}`);
});

engine('memory follows requests in flight, not requests sent: 200,000 requests at 8 in flight use at most 16 slots', () => {
  const outcome = runSimulation(config({ arrival: { kind: 'closed', concurrency: 8 }, requests: 200_000 }));
  assert.is(outcome.measured, 200_000);
  assert.ok(outcome.slots <= 16, `slots ${outcome.slots}`);
});

engine('a warm-up is served but not measured; SIMPLE tasks end at once', () => {
  const outcome = runSimulation(config({ warmupRequests: 400, arrival: { kind: 'closed', concurrency: 4 } }));
  assert.is(outcome.ended, 1_000);
  assert.is(outcome.measured, 600);
  const simple = runSimulation(config({ simpleShare: 1, arrival: { kind: 'closed', concurrency: 4 } }));
  assert.is(simple.summary.latencyMs.max, 0);
  assert.is(simple.measured, 1_000);
});

engine('a duration stops new requests; those in flight still end', () => {
  const outcome = runSimulation(config({ requests: 1_000_000, durationMs: 100, arrival: { kind: 'poisson', ratePerMs: 2 } }));
  assert.ok(outcome.ended > 100 && outcome.ended < 400, String(outcome.ended));
  assert.is(outcome.ended, outcome.measured);
});

engine('above the Balancer’s 1,024 members the policy’s picker alone picks, over every backend', () => {
  const backends = 2_000;
  const outcome = runSimulation(
    config({ backends, speeds: new Array<number>(backends).fill(1), policy: resolvePolicy('rr'), arrival: { kind: 'closed', concurrency: 100 }, requests: 4_000 }),
  );
  assert.is(outcome.path, 'picker');
  assert.is(outcome.imbalance, 1);
  assert.is(runSimulation(config({ policy: resolvePolicy('rr') })).path, 'balancer');
});

engine('client mode: each client balances over its own subset, and only those backends serve', () => {
  const outcome = runSimulation(
    config({
      backends: 12,
      speeds: new Array<number>(12).fill(1),
      clients: 3,
      mode: 'client',
      subset: { kind: 'deterministic', size: 2 },
      arrival: { kind: 'poisson', ratePerMs: 1 },
    }),
  );
  assert.is(outcome.summary.backends.length, 6);
  assert.equal(outcome.connections, { min: 0, mean: 0.5, max: 1 });
});

engine.run();
