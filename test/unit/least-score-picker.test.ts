// least_load and least_connections keep an index instead of scanning; these check it picks what the scan would, in every situation.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BackendLoad, LoadSample } from '../../src/core/load/backend-load.js';
import { leastConnections } from '../../src/core/policies/least-connections.js';
import { leastLoad } from '../../src/core/policies/least-load.js';
import { LeastScorePicker } from '../../src/core/policies/least-score-picker.js';
import type { PickableBackend, Picker, PickRequest, PolicyFactory } from '../../src/core/policies/policy.js';
import { makeBackends, pickedAddress, pickRequest } from '../helpers/backends.js';
import { fakeClock } from '../helpers/fake-clock.js';
import { seededRandom } from '../helpers/seeded-random.js';

const report = (inFlight: number): LoadSample => ({
  inFlight,
  queueDepth: 0,
  cpuPercent: 0,
  servedSimple: 0,
  servedHeavy: 0,
  recentLatencyMs: 0,
  rssBytes: 0,
});

const FIGURES: readonly { policy: PolicyFactory; figure: (load: BackendLoad, nowMs: number) => number }[] = [
  // least_load: the report-based score in look-aside mode, the exact count once the LB tracks calls (proxy mode).
  { policy: leastLoad, figure: (load, nowMs) => (load.hasTrackedCalls ? load.inFlightExact : load.score(nowMs)) },
  { policy: leastConnections, figure: (load, nowMs) => load.inFlight(nowMs) },
];

/** What a scan at nowMs allows: every non-excluded backend whose figure is the lowest. */
function lowestByScan(backends: readonly PickableBackend[], request: PickRequest, figure: (load: BackendLoad, nowMs: number) => number, nowMs: number): Set<string> {
  const candidates = backends.filter((backend) => !request.exclude.has(backend.address));
  const lowest = Math.min(...candidates.map((backend) => figure(backend.load, nowMs)));
  return new Set(candidates.filter((backend) => figure(backend.load, nowMs) === lowest).map((backend) => backend.address));
}

/** The next double above a positive x. */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

/** The next double below a positive x. */
function nextDown(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}

const test = suite('least-score index');

for (const { policy, figure } of FIGURES) {
  for (const mode of ['lookaside', 'proxy'] as const) {
    test(`${policy.name} (${mode}): 20,000 picks under reports, staleness, calls, exclusions and rebuilds pick only what the scan allows`, () => {
      const random = seededRandom(4242);
      const clock = fakeClock(10);
      const all = makeBackends(12, { staleAfterMs: 3 });
      const open: BackendLoad[] = [];
      let given = all;
      let picker: Picker = policy.createPicker(given, { random: seededRandom(1), nowMs: clock.nowMs });
      const reported = [0, 1, 2, 2.5, 7, -3, Number.NaN, 40];
      for (let i = 0; i < 20_000; i += 1) {
        // Fractional steps and repeated instants, so report ages land on and around staleAfterMs.
        const step = random();
        clock.advance(step < 0.3 ? 0 : step < 0.6 ? 0.25 : step < 0.9 ? random() * 0.7 : 1);
        if (random() < 0.08) {
          const backend = all[Math.floor(random() * all.length)] as PickableBackend;
          backend.load.recordReport(report(reported[Math.floor(random() * reported.length)] as number), clock.nowMs());
        }
        while (mode === 'proxy' && open.length > 0 && random() < 0.5) {
          open.splice(Math.floor(random() * open.length), 1)[0]?.callEnded(1, clock.nowMs());
        }
        if (i % 2_500 === 2_499) {
          // Membership changes: a new picker over a subset takes the loads over.
          given = all.filter(() => random() < 0.8);
          picker = policy.createPicker(given, { random: seededRandom(i), nowMs: clock.nowMs });
        }
        const draw = random();
        const exclude = draw < 0.9 ? [] : given.filter(() => random() < 0.3).map((backend) => backend.address);
        const request = pickRequest(exclude);
        const result = picker.pick(request);
        const allowed = lowestByScan(given, request, figure, clock.nowMs());
        if (allowed.size === 0) {
          assert.is(result.kind, 'unavailable');
          continue;
        }
        const address = pickedAddress(result);
        assert.ok(allowed.has(address), `pick ${i} at ${clock.nowMs()}: ${address} is not among the lowest ${[...allowed].join(', ')}`);
        if (result.kind !== 'backend') continue;
        result.backend.load.recordAssignment();
        if (mode === 'proxy') {
          result.backend.load.callStarted();
          open.push(result.backend.load);
        }
      }
    });
  }

  test(`${policy.name}: ties are uniform: 60,000 picks among 6 tied give each 10,000 ± 400`, () => {
    const backends = makeBackends(9);
    for (const backend of backends.slice(6)) backend.load.recordAssignment(); // 7007–7009 are not tied
    const picker = policy.createPicker(backends, { random: seededRandom(77), nowMs: () => 0 });
    const counts = new Map<string, number>();
    for (let i = 0; i < 60_000; i += 1) {
      const address = pickedAddress(picker.pick(pickRequest()));
      counts.set(address, (counts.get(address) ?? 0) + 1);
    }
    assert.equal(
      [...counts.keys()].sort(),
      backends.slice(0, 6).map((backend) => backend.address),
    );
    for (const [address, count] of counts) assert.ok(Math.abs(count - 10_000) <= 400, `${address}: ${count}`);
  });

  test(`${policy.name}: a report goes stale exactly when the scan says so, whatever the rounding of its timestamps`, () => {
    const random = seededRandom(31);
    for (let trial = 0; trial < 500; trial += 1) {
      // Timestamps with long binary fractions (performance.now() gives such), so at + staleAfter rounds.
      const atMs = random() * 10_000 + (trial % 2 === 0 ? 0.1 : 1 / 3);
      const staleAfterMs = trial % 3 === 0 ? 1_500 : 0.7 + random() * 2_000;
      const backends = makeBackends(2, { staleAfterMs });
      const [reporting, busy] = backends as [PickableBackend, PickableBackend];
      reporting.load.recordReport(report(10), atMs);
      for (let i = 0; i < 5; i += 1) busy.load.recordAssignment();
      let nowMs = atMs;
      const picker = policy.createPicker(backends, { random: seededRandom(trial), nowMs: () => nowMs });
      const due = atMs + staleAfterMs;
      for (const at of [atMs, nextDown(nextDown(due)), nextDown(due), due, nextUp(due), nextUp(nextUp(due)), due + 1]) {
        nowMs = at;
        const expected = reporting.load.isReportFresh(at) ? busy.address : reporting.address;
        assert.is(pickedAddress(picker.pick(pickRequest())), expected, `trial ${trial}: report at ${atMs}, stale after ${staleAfterMs}, now ${at}`);
      }
    }
  });

  test(`${policy.name}: a clock that reads earlier than the last pick is followed, as a scan would`, () => {
    const backends = makeBackends(2, { staleAfterMs: 10 });
    const [reporting, busy] = backends as [PickableBackend, PickableBackend];
    reporting.load.recordReport(report(50), 0);
    for (let i = 0; i < 3; i += 1) busy.load.recordAssignment();
    let nowMs = 0;
    const picker = policy.createPicker(backends, { random: seededRandom(1), nowMs: () => nowMs });
    assert.is(pickedAddress(picker.pick(pickRequest())), busy.address);
    nowMs = 20;
    assert.is(pickedAddress(picker.pick(pickRequest())), reporting.address, 'the report is stale at 20');
    nowMs = 5;
    assert.is(pickedAddress(picker.pick(pickRequest())), busy.address, 'and fresh again at 5');
  });

  test(`${policy.name}: a picker replaced by a newer one over the same loads scans, and stays right`, () => {
    const backends = makeBackends(4);
    const older = policy.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
    assert.ok(older instanceof LeastScorePicker && older.isIndexed);
    older.pick(pickRequest());
    const newer = policy.createPicker(backends.slice(1), { random: seededRandom(2), nowMs: () => 0 });
    assert.ok(older instanceof LeastScorePicker && !older.isIndexed, 'the older picker knows it lost the loads');
    assert.ok(newer instanceof LeastScorePicker && newer.isIndexed);
    // Loads change after the handover: only the newer picker hears of it.
    for (const backend of backends.slice(0, 3)) backend.load.recordAssignment();
    assert.is(pickedAddress(older.pick(pickRequest())), '127.0.0.1:7004');
    assert.is(pickedAddress(newer.pick(pickRequest())), '127.0.0.1:7004');
    backends[3]?.load.recordAssignment();
    backends[3]?.load.recordAssignment();
    assert.ok(['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'].includes(pickedAddress(older.pick(pickRequest()))));
    assert.ok(['127.0.0.1:7002', '127.0.0.1:7003'].includes(pickedAddress(newer.pick(pickRequest()))));
  });

  test(`${policy.name}: one load given twice (two slots) falls back to the scan and stays right`, () => {
    const [first, second] = makeBackends(2) as [PickableBackend, PickableBackend];
    const twin = { ...second, address: '127.0.0.1:7003', id: 'backend-3' };
    const picker = policy.createPicker([first, second, twin], { random: seededRandom(1), nowMs: () => 0 });
    assert.ok(picker instanceof LeastScorePicker && !picker.isIndexed);
    second.load.recordAssignment();
    assert.is(pickedAddress(picker.pick(pickRequest())), first.address);
    first.load.recordAssignment();
    first.load.recordAssignment();
    assert.ok([second.address, twin.address].includes(pickedAddress(picker.pick(pickRequest()))));
  });
}

test('the first pick reads every figure at its own clock, not at construction', () => {
  const backends = makeBackends(2, { staleAfterMs: 100 });
  backends[0]?.load.recordReport(report(9), 0);
  backends[1]?.load.recordAssignment();
  let nowMs = 0;
  const picker = leastLoad.createPicker(backends, { random: seededRandom(1), nowMs: () => nowMs });
  nowMs = 500; // the report went stale between building and the first pick
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7001');
});

test('least_connections: calls that start and end move the index at once (proxy mode)', () => {
  const backends = makeBackends(3);
  const picker = leastConnections.createPicker(backends, { random: seededRandom(1), nowMs: () => 0 });
  for (const backend of backends) backend.load.callStarted();
  backends[0]?.load.callStarted();
  backends[2]?.load.callStarted();
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7002');
  backends[2]?.load.callEnded(1, 0);
  backends[2]?.load.callEnded(1, 0);
  assert.is(pickedAddress(picker.pick(pickRequest())), '127.0.0.1:7003');
});

test.run();
