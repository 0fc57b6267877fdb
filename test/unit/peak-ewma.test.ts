// peak_ewma: P2C over latency × (in flight + 1); slow backends lose, new ones get tried.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_EWMA_DECAY_MS } from '../../src/core/load/backend-load.js';
import { DEFAULT_UNKNOWN_LATENCY_MS, MIN_COST_LATENCY_MS, peakEwma, peakEwmaCost } from '../../src/core/policies/peak-ewma.js';
import { IGNORE_OUTCOME, type PickableBackend, type Picker } from '../../src/core/policies/policy.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock, type FakeClock } from '../helpers/fake-clock.js';
import { scriptedRandom, seededRandom } from '../helpers/seeded-random.js';

const TAU = DEFAULT_EWMA_DECAY_MS;

function startCalls(backend: PickableBackend | undefined, count: number): void {
  for (let i = 0; i < count; i += 1) backend?.load.callStarted();
}

/**
 * Proxy mode as the LB runs it: one request per millisecond, each taking its backend's
 * latency, with callStarted / callEnded around it. Returns picks per address.
 */
function runProxy(picker: Picker, backends: readonly PickableBackend[], clock: FakeClock, latencyMsOf: (address: string) => number, requests: number): Map<string, number> {
  const counts = new Map(backends.map((backend) => [backend.address, 0]));
  const open: { backend: PickableBackend; endsAtMs: number }[] = [];
  for (let i = 0; i < requests; i += 1) {
    clock.advance(1);
    for (let index = open.length - 1; index >= 0; index -= 1) {
      const call = open[index];
      if (call === undefined || call.endsAtMs > clock.nowMs()) continue;
      call.backend.load.callEnded(latencyMsOf(call.backend.address), clock.nowMs());
      open.splice(index, 1);
    }
    const result = picker.pick(pickRequest());
    if (result.kind !== 'backend') throw new Error(result.reason);
    result.backend.load.recordAssignment();
    result.backend.load.callStarted();
    open.push({ backend: result.backend, endsAtMs: clock.nowMs() + latencyMsOf(result.backend.address) });
    counts.set(result.backend.address, (counts.get(result.backend.address) ?? 0) + 1);
  }
  return counts;
}

const test = suite('peak_ewma');

test('cost = peak EWMA × (in flight + 1), decayed to now', () => {
  const [backend] = makeBackends(1);
  if (backend === undefined) throw new Error('no backend');
  backend.load.recordLatency(100, 0);
  startCalls(backend, 2);
  assert.is(peakEwmaCost(backend, 0), 300);
  assert.ok(Math.abs(peakEwmaCost(backend, TAU) - 100 * Math.exp(-1) * 3) < 1e-9);
});

test(`a backend without samples costs DEFAULT_UNKNOWN_LATENCY_MS (${DEFAULT_UNKNOWN_LATENCY_MS} ms) × (in flight + 1)`, () => {
  const [backend] = makeBackends(1);
  if (backend === undefined) throw new Error('no backend');
  assert.is(peakEwmaCost(backend, 0), DEFAULT_UNKNOWN_LATENCY_MS);
  backend.load.recordAssignment(); // look-aside: in flight is the score
  assert.is(peakEwmaCost(backend, 0), 2 * DEFAULT_UNKNOWN_LATENCY_MS);
});

test('zero-latency samples still rank by in flight (the latency has a floor)', () => {
  const [a, b] = makeBackends(2);
  if (a === undefined || b === undefined) throw new Error('no backends');
  a.load.recordLatency(0, 0);
  b.load.recordLatency(0, 0);
  startCalls(a, 3);
  assert.is(peakEwmaCost(a, 0), MIN_COST_LATENCY_MS * 4);
  assert.ok(peakEwmaCost(b, 0) < peakEwmaCost(a, 0));
});

test('the lower cost of the two candidates wins; on a tie, the first drawn', () => {
  const backends = makeBackends(4);
  backends.forEach((backend) => backend.load.recordLatency(20, 0));
  backends[2]?.load.recordLatency(50, 0); // 7003 slower
  // 0.5, 0.5 over 4 draws 7003 then 7002.
  assert.is(pickedAddress(peakEwma.createPicker(backends, { random: scriptedRandom(0.5, 0.5), nowMs: () => 0 }).pick(pickRequest())), '127.0.0.1:7002');
  backends[1]?.load.recordLatency(50, 0); // now tied at 50
  assert.is(pickedAddress(peakEwma.createPicker(backends, { random: scriptedRandom(0.5, 0.5), nowMs: () => 0 }).pick(pickRequest())), '127.0.0.1:7003');
});

test('a backend with 100 ms samples never beats ones with 10 ms at equal load', () => {
  const backends = makeBackends(4);
  const [slow, ...fast] = backends;
  slow?.load.recordLatency(100, 0);
  for (const backend of fast) backend.load.recordLatency(10, 0);
  const picker = peakEwma.createPicker(backends, { random: seededRandom(8), nowMs: () => 0 });
  const counts = new Map<string, number>();
  for (let i = 0; i < 3_000; i += 1) {
    const address = pickedAddress(picker.pick(pickRequest()));
    counts.set(address, (counts.get(address) ?? 0) + 1);
  }
  assert.is(counts.get('127.0.0.1:7001'), undefined);
  for (const backend of fast) assert.ok((counts.get(backend.address) ?? 0) > 800, `${backend.address}: ${counts.get(backend.address)}`);
});

test('proxy mode, 10,000 requests: a backend answering in 100 ms gets under 1%; three at 10 ms take the rest', () => {
  const clock = fakeClock();
  const backends = makeBackends(4);
  const picker = peakEwma.createPicker(backends, { random: seededRandom(12), nowMs: clock.nowMs });
  const counts = runProxy(picker, backends, clock, (address) => (address === '127.0.0.1:7001' ? 100 : 10), 10_000);
  const slowShare = (counts.get('127.0.0.1:7001') ?? 0) / 10_000;
  assert.ok(slowShare < 0.01, `the slow backend took ${(slowShare * 100).toFixed(1)}% (round robin would give 25%)`);
  for (const [address, count] of counts) if (address !== '127.0.0.1:7001') assert.ok(count > 3_000, `${address}: ${count}`);
});

test('a new backend without samples is tried, and stops taking everything once it is busy', () => {
  const backends = makeBackends(4);
  const [a, b, c, fresh] = backends;
  for (const backend of [a, b, c]) backend?.load.recordLatency(50, 0);
  const picker = peakEwma.createPicker(backends, { random: seededRandom(4), nowMs: () => 0 });
  for (let i = 0; i < 400; i += 1) {
    const result = picker.pick(pickRequest());
    if (result.kind !== 'backend') throw new Error(result.reason);
    result.backend.load.recordAssignment(); // look-aside: assignments count as in flight
  }
  // Costs level out at 30 × (k + 1) ≈ 50 × (m + 1): the new backend takes more than its quarter, not all.
  const freshShare = (fresh?.load.assignedTotal ?? 0) / 400;
  assert.ok(freshShare > 0.3 && freshShare < 0.5, `the new backend took ${freshShare}`);
});

test('a slow spell is forgotten with time: the decayed estimate lets the backend back in', () => {
  const clock = fakeClock();
  const backends = makeBackends(2);
  const [once, steady] = backends;
  once?.load.recordLatency(100, 0);
  steady?.load.recordLatency(30, 0);
  steady?.load.recordLatency(30, 3 * TAU);
  const picker = peakEwma.createPicker(backends, { random: seededRandom(2), nowMs: clock.nowMs });
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7002');
  clock.advance(3 * TAU); // 100 e^-3 ≈ 5 ms against the steady 30 ms
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
});

test('candidates are two distinct backends even when random() repeats; exclusions respected', () => {
  const backends = makeBackends(3);
  backends.forEach((backend, index) => backend.load.recordLatency(10 * (index + 1), 0));
  // With random() stuck at 0 the first candidate is 7001 and the second must be another: 7002.
  const picker = peakEwma.createPicker(backends, { random: () => 0, nowMs: () => 0 });
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001']))), '127.0.0.1:7002');
  assert.is(pickedAddress(picker.pick(pickRequest(['127.0.0.1:7001', '127.0.0.1:7002']))), '127.0.0.1:7003');
  // Stuck at 0.999…: first 7003, then the last of the others, 7002; 7002 is faster.
  const high = peakEwma.createPicker(backends, { random: () => 0.999_999, nowMs: () => 0 });
  assert.is(pickedAddress(high.pick(pickRequest())), '127.0.0.1:7002');
});

test('onDone is the shared no-op (the LB feeds latencies through callEnded); names ewma / peak_ewma', () => {
  const result = peakEwma.createPicker(makeBackends(3), { random: seededRandom(1), nowMs: () => 0 }).pick(pickRequest());
  assert.ok(result.kind === 'backend' && result.onDone === IGNORE_OUTCOME);
  assert.is(peakEwma.name, 'peak_ewma');
  assert.is(peakEwma.shortName, 'ewma');
});

test('unavailable with a reason when all are excluded or none exist', () => {
  const backends = makeBackends(2);
  const deps = { random: seededRandom(1), nowMs: () => 0 };
  assert.equal(peakEwma.createPicker(backends, deps).pick(pickRequest(backends.map((b) => b.address))), {
    kind: 'unavailable',
    reason: 'all 2 healthy backends excluded by the client',
  });
  assert.equal(peakEwma.createPicker([], deps).pick(pickRequest()), { kind: 'unavailable', reason: 'no healthy backend' });
});

test.run();
