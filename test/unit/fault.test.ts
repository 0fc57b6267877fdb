// Gray-failure faults: what is accepted, how each call's fate is drawn, and what the CLI flags turn into.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { faultActionFromFlags, type FaultFlagValues } from '../../src/cli/fault-flags.js';
import { chaosFault, parseChaosKinds } from '../../src/core/faults/chaos-faults.js';
import { checkFault, decideFault, describeFault, NO_FAULT, sampleLatencyMs, type FaultSpec } from '../../src/core/faults/fault.js';
import { NO_NET_FAULT } from '../../src/core/faults/net-fault.js';
import { seededRandom } from '../../src/core/random/seeded-random.js';

const faults = suite('faults');

const fault = (fields: Partial<FaultSpec>): FaultSpec => ({ ...NO_FAULT, ...fields });
const flags = (fields: Partial<FaultFlagValues>): FaultFlagValues => ({ 'error-code': 'unavailable', clear: false, 'clear-all': false, list: false, ...fields });

faults('checks name the field, its value and the range; contradictions are refused', () => {
  assert.ok(checkFault(fault({ latencyMs: 200, errorRate: 0.05 })).ok);
  const cases: [Partial<FaultSpec>, RegExp][] = [
    [{ errorRate: 1.5 }, /error rate 1.5: expected 0–1/],
    [{ hangRate: -0.1 }, /hang rate -0.1/],
    [{ slowdown: 0.5 }, /slowdown 0.5: expected 1–100/],
    [{ latencyMs: Number.NaN }, /latency NaN ms/],
    [{ errorCode: 0 }, /error code 0: expected one of .*14 \(unavailable\)/],
    [{ latencyMs: 100, latencyP99Ms: 50 }, /latency p99 50 ms: needs a median latency below it/],
    [{ latencyMs: 100, latencyP99Ms: 400, jitterMs: 10 }, /jitter and latency p99/],
    [{ errorRate: 0.6, hangRate: 0.6 }, /exceed 1/],
  ];
  for (const [fields, message] of cases) {
    const checked = checkFault(fault(fields));
    assert.ok(!checked.ok && message.test(checked.message), `${JSON.stringify(fields)} → ${checked.ok ? 'accepted' : checked.message}`);
  }
});

faults('descriptions read as a person would write them', () => {
  assert.is(describeFault(NO_FAULT), 'none');
  assert.is(
    describeFault(fault({ latencyMs: 50, latencyP99Ms: 400, errorRate: 0.05, hangRate: 0.01, slowdown: 4, durationMs: 30_000 })),
    'latency 50ms (log-normal, p99 400ms), 5% UNAVAILABLE, 1% hang, slowdown ×4, for 30s',
  );
  assert.is(describeFault(fault({ latencyMs: 100, jitterMs: 20 })), 'latency 100ms ± 20ms');
});

faults('rates: over 40,000 seeded calls, 5% errors and 1% hangs come out within 3 standard deviations of their rates', () => {
  const random = seededRandom(7);
  const counts = { hang: 0, error: 0, serve: 0 };
  for (let index = 0; index < 40_000; index += 1) counts[decideFault(fault({ errorRate: 0.05, hangRate: 0.01 }), random).kind] += 1;
  // Standard deviations: √(40,000 × 0.05 × 0.95) ≈ 44 calls; √(40,000 × 0.01 × 0.99) ≈ 20 calls.
  assert.ok(Math.abs(counts.error - 2_000) < 3 * 44, `errors ${counts.error}`);
  assert.ok(Math.abs(counts.hang - 400) < 3 * 20, `hangs ${counts.hang}`);
});

faults('latency: fixed, uniform within the jitter, log-normal with the given median and p99', () => {
  const random = seededRandom(11);
  assert.is(sampleLatencyMs(fault({ latencyMs: 200 }), random), 200);
  for (let index = 0; index < 1_000; index += 1) {
    const value = sampleLatencyMs(fault({ latencyMs: 100, jitterMs: 20 }), random);
    assert.ok(value >= 80 && value <= 120, String(value));
  }
  const draws = Array.from({ length: 40_000 }, () => sampleLatencyMs(fault({ latencyMs: 50, latencyP99Ms: 400 }), random)).sort((a, b) => a - b);
  const median = draws[20_000]!;
  const p99 = draws[39_600]!;
  assert.ok(Math.abs(median - 50) < 3, `median ${median}`);
  assert.ok(Math.abs(p99 - 400) < 40, `p99 ${p99}`);
});

faults('flags: a fault to set, --clear, --list, --clear-all; mixing them or forgetting the port is a usage error', () => {
  assert.equal(faultActionFromFlags(7002, flags({ latency: 200, errors: 0.05 })), {
    kind: 'set',
    port: 7002,
    fault: fault({ latencyMs: 200, errorRate: 0.05 }),
    net: undefined,
    isClear: false,
  });
  assert.equal(faultActionFromFlags(7002, flags({ errors: 0.1, 'error-code': 'internal' })).kind, 'set');
  assert.equal(faultActionFromFlags(7002, flags({ clear: true })), { kind: 'set', port: 7002, fault: NO_FAULT, net: NO_NET_FAULT, isClear: true });
  assert.equal(faultActionFromFlags(undefined, flags({ list: true })), { kind: 'list' });
  assert.equal(faultActionFromFlags(undefined, flags({ 'clear-all': true })), { kind: 'clear-all' });
  const refused: [number | undefined, Partial<FaultFlagValues>, RegExp][] = [
    [undefined, { latency: 100 }, /which backend\? give its port/],
    [7002, {}, /nothing to inject on 7002/],
    [7002, { clear: true, latency: 100 }, /--clear takes no fault settings \(got --latency\)/],
    [7002, { list: true }, /--list applies to every backend: drop the port 7002/],
    [undefined, { list: true, 'clear-all': true }, /--list and --clear-all cannot be combined/],
    [7002, { latency: 100, 'latency-p99': 50 }, /fault refused: latency p99 50 ms/],
  ];
  for (const [port, fields, message] of refused) {
    assert.throws(
      () => faultActionFromFlags(port, flags(fields)),
      (error: Error) => message.test(error.message),
      `${port} ${JSON.stringify(fields)}`,
    );
  }
});

faults('chaos kinds: a comma list of known kinds (partition among them); unknown names are refused by name; presets clear after two ticks', () => {
  assert.equal(parseChaosKinds('kill, latency,latency'), { ok: true, kinds: ['kill', 'latency'] });
  assert.equal(parseChaosKinds('kill,partition'), { ok: true, kinds: ['kill', 'partition'] });
  const unknown = parseChaosKinds('kill,flood');
  assert.ok(!unknown.ok && /unknown kind "flood"/.test(unknown.message));
  assert.is(parseChaosKinds(' , ').ok, false);
  for (const kind of ['latency', 'errors', 'hang', 'slow'] as const) {
    const preset = chaosFault(kind, 400);
    assert.ok(checkFault(preset).ok, kind);
    assert.is(preset.durationMs, 1_000, 'at least a second');
  }
  assert.is(chaosFault('latency', 5_000).durationMs, 10_000);
});

faults.run();
