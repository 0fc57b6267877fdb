// Properties every registered policy keeps: it picks only backends it was given, never an excluded one, and finds one whenever one is left.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { POLICIES } from '../../src/core/policies/index.js';
import type { PickableBackend, PickRequest } from '../../src/core/policies/policy.js';
import { makeBackends } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const PICKS_PER_MEMBERSHIP = 500;
const MEMBERSHIPS = 8;

/** Backends on 7001…7008 with weights 1–4, as the balancer would hold them. */
function weightedBackends(): PickableBackend[] {
  return makeBackends(8).map((backend, index) => ({ ...backend, weight: (index % 4) + 1 }));
}

/** A random subset, kept in address order (the balancer passes the healthy ones sorted). */
function randomSubset<T>(items: readonly T[], random: () => number, keepProbability: number): T[] {
  return items.filter(() => random() < keepProbability);
}

function request(key: string, exclude: readonly PickableBackend[]): PickRequest {
  return { taskKind: 'SIMPLE', key, exclude: new Set(exclude.map((backend) => backend.address)) };
}

const test = suite('every policy');

for (const policy of POLICIES) {
  for (const mode of ['lookaside', 'proxy'] as const) {
    test(`${policy.name} (${mode}): only given, never excluded backends, over ${MEMBERSHIPS * PICKS_PER_MEMBERSHIP} picks`, () => {
      const random = seededRandom(2024);
      const clock = fakeClock(1_000);
      const all = weightedBackends();
      const ended: { backend: PickableBackend; endsAtMs: number; latencyMs: number }[] = [];
      let picked = 0;
      let unavailable = 0;
      for (let membership = 0; membership < MEMBERSHIPS; membership += 1) {
        const given = randomSubset(all, random, 0.7);
        const picker = policy.createPicker(given, { random: seededRandom(membership + 1), nowMs: clock.nowMs });
        const givenSet = new Set(given);
        for (let i = 0; i < PICKS_PER_MEMBERSHIP; i += 1) {
          clock.advance(1);
          // The LB's side: calls end, backends report (look-aside), so loads and latencies keep moving.
          for (let index = ended.length - 1; index >= 0; index -= 1) {
            const call = ended[index];
            if (call === undefined || call.endsAtMs > clock.nowMs()) continue;
            call.backend.load.callEnded(call.latencyMs, clock.nowMs());
            ended.splice(index, 1);
          }
          if (mode === 'lookaside' && i % 50 === 0) {
            for (const backend of all) {
              backend.load.recordReport(
                { inFlight: Math.floor(random() * 5), queueDepth: 0, cpuPercent: 0, servedSimple: 0, servedHeavy: 0, recentLatencyMs: Math.floor(random() * 100), rssBytes: 0 },
                clock.nowMs(),
              );
            }
          }
          // Mostly no exclusions; sometimes a few; sometimes every backend given.
          const draw = random();
          const excluded = draw < 0.6 ? [] : draw < 0.95 ? randomSubset(all, random, 0.4) : given;
          const result = picker.pick(request(`user-${Math.floor(random() * 1_000)}`, excluded));
          const isAnyLeft = given.some((backend) => !excluded.includes(backend));
          if (result.kind === 'unavailable') {
            unavailable += 1;
            assert.not.ok(isAnyLeft, `${policy.name} found nothing with ${given.length} given and ${excluded.length} excluded: ${result.reason}`);
            assert.ok(result.reason.length > 0);
            continue;
          }
          picked += 1;
          assert.ok(givenSet.has(result.backend), `${policy.name} picked ${result.backend.address}, not one it was given`);
          assert.not.ok(excluded.includes(result.backend), `${policy.name} picked the excluded ${result.backend.address}`);
          result.backend.load.recordAssignment();
          if (mode === 'proxy') {
            result.backend.load.callStarted();
            const latencyMs = 1 + Math.floor(random() * 40);
            ended.push({ backend: result.backend, endsAtMs: clock.nowMs() + latencyMs, latencyMs });
          }
          result.onDone({ ok: true, latencyMs: 1 });
        }
      }
      assert.ok(picked > 3_000, `${picked} picks`);
      assert.ok(unavailable > 0, 'the every-backend-excluded case came up');
    });
  }

  test(`${policy.name}: unavailable with a reason over no backends, and when every backend is excluded`, () => {
    const deps = { random: seededRandom(5), nowMs: fakeClock().nowMs };
    const none = policy.createPicker([], deps).pick(request('user-1', []));
    assert.is(none.kind, 'unavailable');
    const backends = weightedBackends();
    const allExcluded = policy.createPicker(backends, deps).pick(request('user-1', backends));
    assert.is(allExcluded.kind, 'unavailable');
    if (allExcluded.kind === 'unavailable') assert.ok(allExcluded.reason.includes('excluded'), allExcluded.reason);
  });
}

test.run();
