// Prequal: the hot-cold lexicographic rule, and a picker that prefers cold, fast backends from its probe pool.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { BackendLoad } from '../../src/core/load/backend-load.js';
import type { PickableBackend } from '../../src/core/policies/policy.js';
import { hotColdLexicographic, prequal, quantile } from '../../src/core/policies/prequal.js';
import { seededRandom } from '../../src/core/random/seeded-random.js';

const test = suite('prequal');

test('quantile, interpolated between ranks', () => {
  assert.ok(Math.abs(quantile([5, 1, 3, 2, 4], 0.8) - 4.2) < 1e-9);
  assert.ok(Math.abs(quantile([0, 10, 0], 0.8) - 6) < 1e-9, 'a few probes: the loaded one is above the threshold');
  assert.is(quantile([7], 0.8), 7);
  assert.is(quantile([], 0.8), 0);
});

test('HCL: among cold probes the lowest latency wins; when every probe is equally loaded, latency decides; a hot backend loses even when fastest', () => {
  const probes = [
    { name: 'hot-fast', rif: 20, latencyMs: 1 },
    { name: 'cold-slow', rif: 1, latencyMs: 50 },
    { name: 'cold-fast', rif: 2, latencyMs: 10 },
    { name: 'cold-mid', rif: 0, latencyMs: 30 },
    { name: 'cold-other', rif: 3, latencyMs: 40 },
  ];
  assert.is(hotColdLexicographic(probes)?.name, 'cold-fast');
  assert.is(
    hotColdLexicographic([
      { name: 'a', rif: 4, latencyMs: 9 },
      { name: 'b', rif: 4, latencyMs: 3 },
    ])?.name,
    'b',
  );
  assert.is(hotColdLexicographic([]), undefined);
});

const backend = (address: string, load: BackendLoad): PickableBackend => ({ address, id: address, weight: 1, load });

test('the picker sends most picks to the backend that is neither loaded nor slow, and never to an excluded one', () => {
  let nowMs = 0;
  const loads = [new BackendLoad(), new BackendLoad(), new BackendLoad()];
  // Backend 0 is slow (200 ms), backend 1 has 10 in flight, backend 2 is fast and idle.
  loads[0]!.recordLatency(200, 0);
  loads[1]!.recordLatency(10, 0);
  loads[2]!.recordLatency(10, 0);
  for (let call = 0; call < 10; call += 1) loads[1]!.callStarted();
  const backends = loads.map((load, index) => backend(`10.0.0.${index}:1`, load));
  const picker = prequal.createPicker(backends, { random: seededRandom(5), nowMs: () => nowMs });
  const counts = new Map<string, number>();
  for (let pick = 0; pick < 300; pick += 1) {
    nowMs += 10;
    const result = picker.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set() });
    if (result.kind === 'backend') counts.set(result.backend.address, (counts.get(result.backend.address) ?? 0) + 1);
  }
  assert.ok((counts.get('10.0.0.2:1') ?? 0) > 200, `the fast idle backend: ${JSON.stringify([...counts])}`);
  const excluded = picker.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set(['10.0.0.2:1']) });
  assert.ok(excluded.kind === 'backend' && excluded.backend.address !== '10.0.0.2:1');
  const none = picker.pick({ taskKind: 'SIMPLE', key: '', exclude: new Set(backends.map((candidate) => candidate.address)) });
  assert.is(none.kind, 'unavailable');
});

test.run();
